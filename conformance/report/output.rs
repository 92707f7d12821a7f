//! Writes a report file to exactly the path the user named: through a symlink to its target,
//! into a character device such as /dev/stdout; never a rename over something we did not
//! create, never a temporary file left behind.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};

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

/// Writes `text` to `path`, which `flag` named.
pub fn write(path: &Path, flag: &str, text: &str) -> anyhow::Result<()> {
    let context = || format!("{flag} {}", path.display());
    if let Ok(metadata) = std::fs::metadata(path) {
        let kind = metadata.file_type();
        if kind.is_dir() {
            bail!("{}: is a directory; name a file", context());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            // Opening a FIFO for writing waits for a reader that may never come.
            if kind.is_fifo() || kind.is_socket() {
                bail!("{}: is a FIFO or socket; name a regular file", context());
            }
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .with_context(context)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .with_context(context)
}
