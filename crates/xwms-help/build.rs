//! Compiles the help content of `content/help/` (at the repository root) into the crate:
//! `FILES`, a list of (path relative to the folder, text). Rebuilt when any file there changes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dir = manifest.join("../../content/help");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    collect(&dir, &dir, &mut files);
    files.sort();
    let mut out =
        String::from("/// (path in content/help, text)\npub static FILES: &[(&str, &str)] = &[\n");
    for (rel, path) in &files {
        let abs = path.canonicalize().unwrap();
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("bundled_content.rs");
    std::fs::write(dest, out).unwrap();
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("help content folder {} is missing", dir.display());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // categories.toml at the top, articles one folder down; other files are not content.
        let top = dir == root;
        if path.is_dir() && top {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "toml")
            && (!top || path.file_name().is_some_and(|n| n == "categories.toml"))
        {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.push((rel, path));
        }
    }
}
