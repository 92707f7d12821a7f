//! The one way a file the user named is opened, for reading and for writing: the spec, the
//! known divergences, `serve --config`, `--ca-cert`, snapshots, baselines, `$GITHUB_STEP_SUMMARY`
//! and every report. What it promises, whatever the path turns out to be:
//!
//! - only regular files are read or written (stdout where a flag documents `-`); a FIFO, a
//!   socket or a device such as `/dev/zero` is refused without waiting on it: files are
//!   opened non-blocking and judged by what was opened, not by what the path said before;
//! - a read stops one byte past its bound, whatever the file claims its size is;
//! - a write never goes through a symbolic link: a new file is created beside the named one
//!   and renamed over it, which replaces a link instead of following it; inside a directory
//!   the user named (`--snapshots`), a file that is a link is neither read nor replaced.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};

/// What a report flag takes to mean standard output.
pub const STDOUT: &str = "-";

/// Where a written report goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    /// `-` and `/dev/stdout` are standard output (the second is how many CI recipes say it);
    /// anything else is a file path.
    pub fn of(path: &Path) -> Self {
        if path == Path::new(STDOUT) || path == Path::new("/dev/stdout") {
            Destination::Stdout
        } else {
            Destination::File(path.to_owned())
        }
    }
}

/// Reads the regular file `path` names (`what` says who named it, for example `--ca-cert
/// cert.pem`), at most `max` bytes. A link the user named is followed: naming it is asking
/// for it.
pub fn read(path: &Path, what: &str, max: u64) -> anyhow::Result<Vec<u8>> {
    read_opened(open_for_reading(path, what, false)?, path, what, max)
}

/// As [`read`], and the bytes must be UTF-8.
pub fn read_text(path: &Path, what: &str, max: u64) -> anyhow::Result<String> {
    String::from_utf8(read(path, what, max)?)
        .map_err(|err| anyhow!("{what}: not UTF-8 text ({err})"))
}

/// Reads `name` inside the directory the user named, never through a link (a link could
/// point anywhere outside it). `Ok(None)` when there is no such file.
pub fn read_in_dir(
    dir: &Path,
    name: &str,
    what: &str,
    max: u64,
) -> anyhow::Result<Option<Vec<u8>>> {
    let path = dir.join(name);
    match open_for_reading(&path, what, true) {
        Ok(file) => read_opened(file, &path, what, max).map(Some),
        Err(err) if is_not_found(&err) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Writes `bytes` as the whole content of the file at `path` (`what` names the flag): a
/// regular file or nothing there yet. The new content is written beside it and renamed over
/// it, so a link at `path` is replaced, never written through, and a reader never sees half
/// a file.
pub fn write(path: &Path, what: &str, bytes: &[u8]) -> anyhow::Result<()> {
    refuse_link_or_irregular(path, what)?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut staged = tempfile::Builder::new()
        .prefix(".conformance-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("{what}: cannot create a file in {}", dir.display()))?;
    staged
        .write_all(bytes)
        .and_then(|()| staged.flush())
        .with_context(|| format!("{what}: cannot write it"))?;
    staged
        .persist(path)
        .map_err(|err| anyhow!("{what}: cannot write it: {}", err.error))?;
    Ok(())
}

/// Writes `bytes` to a new file at `path`, refusing one that exists (a link included).
pub fn create_new(path: &Path, what: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("{what}: cannot create it"))?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .with_context(|| format!("{what}: cannot write it"))
}

/// Appends `bytes` to the regular file at `path` (created if missing), never through a link
/// and never to a FIFO or device: GitHub's step summary is a regular file, and a run must not
/// wait on one that is not.
pub fn append(path: &Path, what: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    open_flags(&mut options, false);
    let mut file = options
        .open(path)
        .map_err(|err| describe_open_error(err, what))?;
    let metadata = file
        .metadata()
        .with_context(|| format!("{what}: cannot read it"))?;
    refuse_irregular(&metadata, what)?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .with_context(|| format!("{what}: cannot write it"))
}

/// Whether `path` is a link or something other than a regular file, said as an error.
fn refuse_link_or_irregular(path: &Path, what: &str) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => bail!(
            "{what}: is a symbolic link; name the file itself (reports are never written through a link)"
        ),
        Ok(metadata) => refuse_irregular(&metadata, what),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err).with_context(|| format!("{what}: cannot read it")),
    }
}

fn open_for_reading(path: &Path, what: &str, no_follow: bool) -> anyhow::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    open_flags(&mut options, !no_follow);
    let file = options
        .open(path)
        .map_err(|err| describe_open_error(err, what))?;
    let metadata = file
        .metadata()
        .with_context(|| format!("{what}: cannot read it"))?;
    refuse_irregular(&metadata, what)?;
    Ok(file)
}

fn read_opened(file: File, path: &Path, what: &str, max: u64) -> anyhow::Result<Vec<u8>> {
    let claimed = file
        .metadata()
        .with_context(|| format!("{what}: cannot read it"))?
        .len();
    if claimed > max {
        return Err(TooLarge::new(what, max).into());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(claimed).unwrap_or(0));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("{what}: cannot read {}", path.display()))?;
    // A file may grow while it is read, or say 0 (files in /proc): what was read counts.
    if bytes.len() as u64 > max {
        return Err(TooLarge::new(what, max).into());
    }
    Ok(bytes)
}

/// A file over its bound: an error of its own, so a caller that names the bound (`diff`'s
/// `MAX_DOCUMENT_BYTES`) can tell it from the others without reading the message.
#[derive(Debug)]
pub struct TooLarge {
    what: String,
    max: u64,
}

impl TooLarge {
    fn new(what: &str, max: u64) -> Self {
        Self {
            what: what.to_owned(),
            max,
        }
    }
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: it is larger than {}, the most it may have",
            self.what,
            size(self.max)
        )
    }
}

impl std::error::Error for TooLarge {}

/// `8 MiB`, `64 KiB` or `100 bytes`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1024 * 1024 && b % (1024 * 1024) == 0 => format!("{} MiB", b / (1024 * 1024)),
        b if b >= 1024 && b % 1024 == 0 => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

fn refuse_irregular(metadata: &Metadata, what: &str) -> anyhow::Result<()> {
    if metadata.is_file() {
        return Ok(());
    }
    if metadata.is_dir() {
        bail!("{what}: it is a directory, not a regular file");
    }
    bail!("{what}: it is not a regular file (a FIFO, socket or device)")
}

/// An open error in words: a link where none may be followed says so.
fn describe_open_error(err: std::io::Error, what: &str) -> anyhow::Error {
    #[cfg(unix)]
    match err.raw_os_error() {
        Some(libc::ELOOP) => {
            return anyhow!(
                "{what}: is a symbolic link, which is never followed here; replace it with the file"
            );
        }
        // A FIFO opened non-blocking for writing, with no reader.
        Some(libc::ENXIO) => {
            return anyhow!("{what}: it is not a regular file (a FIFO, socket or device)");
        }
        _ => {}
    }
    anyhow::Error::new(err).context(format!("{what}: cannot open it"))
}

fn is_not_found(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
    })
}

/// Opening a FIFO waits for its other end; non-blocking, it opens at once (and is then
/// refused as not a regular file). Reads from a regular file are unaffected. With
/// `follow: false` a link as the last component is refused too (`ELOOP`).
fn open_flags(options: &mut OpenOptions, follow: bool) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let no_follow = if follow { 0 } else { libc::O_NOFOLLOW };
        options.custom_flags(libc::O_NONBLOCK | no_follow);
    }
    #[cfg(not(unix))]
    let _ = (options, follow);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read_and_only_up_to_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"12345").unwrap();
        assert_eq!(read(&file, "--x f", 5).unwrap(), b"12345");
        let err = read(&file, "--x f", 4).unwrap_err().to_string();
        assert!(err.contains("larger than 4 bytes"), "{err}");
        let err = read(Path::new("/dev/zero"), "--x /dev/zero", 10)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let err = read(dir.path(), "--x dir", 10).unwrap_err().to_string();
        assert!(err.contains("a directory"), "{err}");
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let err = read(&fifo, "--config fifo", 10).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let err = append(&fifo, "$GITHUB_STEP_SUMMARY", b"x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn a_write_replaces_a_link_and_never_writes_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::write(&outside, b"keep").unwrap();
        let link = dir.path().join("report.json");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let err = write(&link, "--json report.json", b"x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep");
        let dangling = dir.path().join("dangling.snap");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(write(&dangling, "snapshot", b"x").is_err());
        assert!(!dir.path().join("nowhere").exists());
        assert!(append(&link, "summary", b"x").is_err());
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep");
    }

    #[test]
    fn inside_a_named_directory_a_link_is_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, b"private").unwrap();
        let inside = dir.path().join("snapshots");
        std::fs::create_dir(&inside).unwrap();
        std::os::unix::fs::symlink(&secret, inside.join("a.snap")).unwrap();
        let err = read_in_dir(&inside, "a.snap", "snapshot a.snap", 100)
            .unwrap_err()
            .to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(
            read_in_dir(&inside, "b.snap", "snapshot", 100)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_write_leaves_no_staging_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        write(&path, "--json", b"one").unwrap();
        write(&path, "--json", b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
