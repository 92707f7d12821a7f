//! Writes a report to the path its flag named: stdout for `-`, else a regular file written
//! the one way `files` writes (never through a link, never a FIFO or device, no staging
//! file left behind).

use std::path::Path;

use anyhow::bail;

use crate::files::{self, Destination};

/// Refuses two report flags naming the same file: one report would silently replace the other.
pub fn check_distinct(paths: &[(&str, &Path)]) -> anyhow::Result<()> {
    for (index, (flag, path)) in paths.iter().enumerate() {
        for (other_flag, other) in &paths[..index] {
            if same_file(path, other) {
                bail!(
                    "{other_flag} and {flag} name the same file {}: give each report its own path",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(a), Ok(b)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return a.dev() == b.dev() && a.ino() == b.ino();
        }
    }
    std::path::absolute(a).ok() == std::path::absolute(b).ok()
}

/// Writes `text` to `path`, which `flag` named: standard output for `-` (or `/dev/stdout`),
/// otherwise a regular file, never through a link (see `files`).
pub fn write(path: &Path, flag: &str, text: &str) -> anyhow::Result<()> {
    match Destination::of(path) {
        Destination::Stdout => {
            crate::console::out(text);
            Ok(())
        }
        Destination::File(path) => files::write(
            &path,
            &format!("{flag} {}", path.display()),
            text.as_bytes(),
        ),
    }
}
