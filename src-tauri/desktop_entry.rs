//! Linux: makes this program the current user's handler of `xwms://` links, the way a desktop
//! entry declares it (a `.desktop` file in `$XDG_DATA_HOME/applications` with
//! `MimeType=x-scheme-handler/xwms`, then `xdg-mime default`).
//!
//! Decision: written here rather than with `tauri-plugin-deep-link`'s `register`, which always
//! quotes the program in the `Exec` line. Quoting is valid, but `xdg-open` of xdg-utils 1.1.3
//! (Debian 12's; what runs outside GNOME and KDE) takes the first word with its quotes as the
//! program and fails ("Permission denied"), so the link in a mail would open nothing. The
//! path is written bare when it needs no quoting (the usual case), and quoted as the Desktop
//! Entry specification says otherwise.

use std::path::Path;
use std::process::Command;

/// The desktop entry's file name (the deep-link plugin's name for the same thing, so an entry
/// it wrote before is replaced, not doubled).
pub const ENTRY: &str = "xwms-desktop-handler.desktop";

/// The entry for `program` handling `scheme`.
pub fn entry(name: &str, program: &str, scheme: &str) -> String {
    format!(
        "[Desktop Entry]\nType=Application\nName={name}\nExec={} %u\nTerminal=false\nMimeType=x-scheme-handler/{scheme}\nNoDisplay=true\n",
        exec_program(program)
    )
}

/// `program` as the first word of an `Exec` line: bare when it holds only characters that
/// need no quoting, else in double quotes with `"`, `` ` ``, `$` and `\` escaped, and every
/// backslash then doubled, as a string value of a desktop entry needs.
fn exec_program(program: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@".contains(c);
    if !program.is_empty() && program.chars().all(plain) {
        return program.to_owned();
    }
    let mut quoted = String::from("\"");
    for c in program.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted.replace('\\', "\\\\")
}

/// Writes the entry into `applications` (when it changed) and makes it the default handler.
pub fn register(
    applications: &Path,
    name: &str,
    program: &Path,
    scheme: &str,
) -> Result<(), String> {
    std::fs::create_dir_all(applications).map_err(|e| e.to_string())?;
    let path = applications.join(ENTRY);
    let text = entry(name, &program.to_string_lossy(), scheme);
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        // Optional: refreshes the MIME cache where desktop-file-utils is installed.
        let _ = Command::new("update-desktop-database")
            .arg(applications)
            .status();
    }
    let status = Command::new("xdg-mime")
        .args(["default", ENTRY, &format!("x-scheme-handler/{scheme}")])
        .status()
        .map_err(|e| format!("xdg-mime: {e}"))?;
    if !status.success() {
        return Err(format!("xdg-mime: {status}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_bare_when_it_can_be_and_quoted_by_the_spec_otherwise() {
        assert_eq!(
            exec_program("/home/sam/.cache/target/release/xwms-desktop"),
            "/home/sam/.cache/target/release/xwms-desktop"
        );
        assert_eq!(
            exec_program("/home/sam/Apps/XWMS Desktop.AppImage"),
            "\"/home/sam/Apps/XWMS Desktop.AppImage\""
        );
        assert_eq!(exec_program("/opt/a$b\"c"), "\"/opt/a\\\\$b\\\\\"c\"");
        let text = entry("XWMS Desktop", "/usr/local/bin/xwms-desktop", "xwms");
        assert!(
            text.contains("\nExec=/usr/local/bin/xwms-desktop %u\n"),
            "{text}"
        );
        assert!(
            text.contains("\nMimeType=x-scheme-handler/xwms\n"),
            "{text}"
        );
    }
}
