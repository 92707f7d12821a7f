//! Reads a file the user named, bounded: regular files only (a FIFO would wait for a writer,
//! /dev/zero would never end), at most a given number of bytes. One function, so a shared
//! helper can replace it in one place.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};

/// The whole of `path` (which `flag` named), refused when it is not a regular file or is
/// longer than `max_bytes`.
pub fn read_bounded(path: &Path, flag: &str, max_bytes: u64) -> anyhow::Result<Vec<u8>> {
    let context = || format!("{flag} {}", path.display());
    // Before opening: opening a FIFO for reading blocks until a writer comes.
    let metadata = std::fs::metadata(path).with_context(context)?;
    if !metadata.is_file() {
        bail!("{}: not a regular file; name a file", context());
    }
    let file = std::fs::File::open(path).with_context(context)?;
    // The same check on what was opened: the path may have been swapped in between.
    let opened = file.metadata().with_context(context)?;
    if !opened.is_file() {
        bail!("{}: not a regular file; name a file", context());
    }
    if opened.len() > max_bytes {
        bail!(
            "{}: {} bytes, more than the {max_bytes} this tool reads",
            context(),
            opened.len()
        );
    }
    let mut bytes = Vec::new();
    // A file that grows while it is read is still cut at the bound.
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .with_context(context)?;
    if bytes.len() as u64 > max_bytes {
        bail!(
            "{}: grew past the {max_bytes} bytes this tool reads",
            context()
        );
    }
    Ok(bytes)
}
