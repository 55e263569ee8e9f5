//! Files the app writes for the person (today: the recovery-codes file), and the record of
//! which ones it wrote, so "Show in folder" reveals only those.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The files this run of the app saved (paths as returned to the UI).
#[derive(Debug, Default)]
pub struct SavedFiles(Mutex<Vec<PathBuf>>);

impl SavedFiles {
    /// Writes `contents` to a new file `<stem>.txt` in `dir` (created if missing), or
    /// `<stem>-2.txt`, `<stem>-3.txt` … when that name is taken: an existing file is never
    /// overwritten. On Unix the file is readable by its owner only (0600): it holds secrets.
    pub fn save_new(&self, dir: &Path, stem: &str, contents: &[u8]) -> std::io::Result<PathBuf> {
        self.save_new_as(dir, stem, "txt", contents)
    }

    /// [`SavedFiles::save_new`] with another extension (`pdf`, `png`, …).
    pub fn save_new_as(
        &self,
        dir: &Path,
        stem: &str,
        extension: &str,
        contents: &[u8],
    ) -> std::io::Result<PathBuf> {
        let path = write_new_file(dir, stem, extension, contents)?;
        self.0.lock().expect("saved files lock").push(path.clone());
        Ok(path)
    }

    /// Whether this run saved the file at `path`.
    pub fn contains(&self, path: &Path) -> bool {
        self.0
            .lock()
            .expect("saved files lock")
            .iter()
            .any(|p| p == path)
    }
}

fn write_new_file(
    dir: &Path,
    stem: &str,
    extension: &str,
    contents: &[u8],
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    for n in 1..1000 {
        let name = if n == 1 {
            format!("{stem}.{extension}")
        } else {
            format!("{stem}-{n}.{extension}")
        };
        let path = dir.join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&path) {
            Ok(mut file) => {
                file.write_all(contents)?;
                file.sync_all()?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "no free file name",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_name_gets_a_suffix_and_nothing_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("Downloads");
        let saved = SavedFiles::default();
        let first = saved.save_new(&sub, "codes", b"one").unwrap();
        let second = saved.save_new(&sub, "codes", b"two").unwrap();
        assert_eq!(first, sub.join("codes.txt"));
        assert_eq!(second, sub.join("codes-2.txt"));
        assert_eq!(std::fs::read(&first).unwrap(), b"one");
        assert_eq!(std::fs::read(&second).unwrap(), b"two");
        assert!(saved.contains(&first) && saved.contains(&second));
        assert!(!saved.contains(&sub.join("codes-3.txt")));
    }

    #[cfg(unix)]
    #[test]
    fn only_the_owner_can_read_a_saved_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = SavedFiles::default()
            .save_new(dir.path(), "codes", b"secret")
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
