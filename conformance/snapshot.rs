//! The only module that touches insta: compares each observed shape with its accepted
//! snapshot `<operation_id>@<variant>.snap`. The accepted set is the one the binary carries
//! (this repository's snapshots/, compiled in), or a directory named with `--snapshots`.
//! `check` never accepts by itself: with a directory, outside CI it leaves pending
//! `.snap.new` files for `cargo insta review`, under `CI` it writes nothing, and only
//! `--accept` writes accepted snapshots; the carried set is never written to.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, bail};
use coder_external_auth::Operation;

use crate::files;
use crate::releases::ContractRange;
use serde_json::Value;

/// Largest accepted snapshot read: a shape is a few hundred bytes.
pub const MAX_SNAPSHOT_BYTES: u64 = 1024 * 1024;

/// The accepted snapshots this binary carries: works wherever it is installed.
static EMBEDDED: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/snapshots");

/// Where the accepted snapshots come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// The set compiled into the binary: read only.
    Embedded,
    /// A directory the user named with `--snapshots`.
    Dir(PathBuf),
}

impl Accepted {
    /// How reports name it.
    pub fn describe(&self) -> String {
        match self {
            Accepted::Embedded => "the snapshots embedded in this binary".to_owned(),
            Accepted::Dir(dir) => dir.display().to_string(),
        }
    }

    /// Whether an accepted snapshot exists for this operation and variant.
    pub fn has(&self, operation: Operation, variant: &str) -> bool {
        let name = SnapshotStore::file_name(operation, variant);
        match self {
            Accepted::Embedded => EMBEDDED.get_file(&name).is_some(),
            Accepted::Dir(dir) => std::fs::symlink_metadata(dir.join(name)).is_ok(),
        }
    }

    /// Whether anything of this name is there; reading it then checks what it is (a FIFO or a
    /// directory is refused there, not passed over here).
    fn contains(&self, name: &str) -> bool {
        match self {
            Accepted::Embedded => EMBEDDED.get_file(name).is_some(),
            Accepted::Dir(dir) => std::fs::symlink_metadata(dir.join(name)).is_ok(),
        }
    }

    /// The names of the `.snap` files, sorted.
    pub fn files(&self) -> anyhow::Result<Vec<String>> {
        let mut names: Vec<String> = match self {
            Accepted::Embedded => EMBEDDED
                .files()
                .filter_map(|file| file.path().to_str().map(str::to_owned))
                .collect(),
            Accepted::Dir(dir) => std::fs::read_dir(dir)
                .with_context(|| {
                    format!("--snapshots {}: cannot read the directory", dir.display())
                })?
                .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()))
                .collect::<Result<_, _>>()?,
        };
        names.retain(|name| name.ends_with(".snap"));
        names.sort();
        Ok(names)
    }

    /// The snapshot's contents without its header, or None when there is none.
    fn read(&self, name: &str) -> anyhow::Result<Option<String>> {
        match self {
            Accepted::Embedded => EMBEDDED
                .get_file(name)
                .map(|file| {
                    file.contents_utf8()
                        .and_then(snapshot_body)
                        .with_context(|| {
                            format!("the embedded snapshot {name} is not an insta snapshot")
                        })
                })
                .transpose(),
            Accepted::Dir(dir) => {
                let (staging, _) = stage(dir, name)?;
                parse_staged(staging.path(), name, &dir.join(name))
            }
        }
    }
}

/// The statuses the compiled-in snapshots of `operation`'s `variant` answer (one per release
/// range; a variant whose status changed between releases has more than one), sorted.
pub fn embedded_statuses(operation: Operation, variant: &str) -> &'static [u16] {
    embedded_status_index()
        .get(operation.id())
        .and_then(|variants| variants.get(variant))
        .map_or(&[], Vec::as_slice)
}

/// Every compiled-in snapshot's statuses, by operation id, then variant: read once, since
/// the coverage asks for each variant and each status.
type StatusIndex = BTreeMap<&'static str, BTreeMap<&'static str, Vec<u16>>>;

fn embedded_status_index() -> &'static StatusIndex {
    static INDEX: OnceLock<StatusIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = StatusIndex::new();
        for file in EMBEDDED.files() {
            let Some(name) = file.path().to_str().and_then(|n| n.strip_suffix(".snap")) else {
                continue;
            };
            let mut parts = name.split('@');
            let (Some(operation), Some(variant)) = (parts.next(), parts.next()) else {
                continue;
            };
            let status = file
                .contents_utf8()
                .and_then(snapshot_body)
                .and_then(|body| serde_json::from_str::<serde_json::Value>(&body).ok())
                .and_then(|value| u16::try_from(value.get("status")?.as_u64()?).ok());
            if let Some(status) = status {
                index
                    .entry(operation)
                    .or_default()
                    .entry(variant)
                    .or_default()
                    .push(status);
            }
        }
        for statuses in index.values_mut().flat_map(BTreeMap::values_mut) {
            statuses.sort_unstable();
            statuses.dedup();
        }
        index
    })
}

/// The body of an insta snapshot file: what follows its `---` header.
fn snapshot_body(text: &str) -> Option<String> {
    let rest = text.strip_prefix("---\n")?;
    let (_, body) = rest.split_once("\n---\n")?;
    Some(body.trim_end_matches('\n').to_owned())
}

/// What the comparison found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// Matches the accepted snapshot.
    Fresh,
    /// Differs from the accepted snapshot; the unified diff, accepted to observed.
    Stale { diff: String },
    /// No accepted snapshot yet.
    New,
    /// `--accept` wrote it; `changed` says whether it differs from what was accepted before.
    Accepted { changed: bool },
}

/// Whether observed shapes become the accepted ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Check,
    Accept,
}

impl Mode {
    /// The mode `--accept` asks for.
    pub fn from_accept_flag(accept: bool) -> Self {
        if accept { Mode::Accept } else { Mode::Check }
    }
}

thread_local! {
    /// Set while insta runs, so the panic hook stays quiet only for insta's own panics.
    static IN_ASSERTION: Cell<bool> = const { Cell::new(false) };
}

/// Sets insta's process-wide behaviour. Call once, before any thread starts: insta reads
/// these variables when it first runs and caches them. Without `leave_pending`, a check
/// writes nothing at all (no `.snap.new` either).
pub fn prepare_environment(mode: Mode, accepted: &Accepted, leave_pending: bool) {
    let update = match mode {
        Mode::Accept => "always",
        Mode::Check if !leave_pending || std::env::var_os("CI").is_some() => "no",
        Mode::Check => "new",
    };
    // SAFETY: called from main before the async runtime or any other thread exists.
    unsafe {
        std::env::set_var("INSTA_UPDATE", update);
        // A forced pass would hide every mismatch from us.
        std::env::set_var("INSTA_FORCE_PASS", "0");
        // Our report prints its own diff, on stderr with the rest of the report.
        std::env::set_var("INSTA_OUTPUT", "none");
        // Without it, insta runs `cargo metadata` to find a workspace (none where the binary
        // is installed). Only a directory is ever handed to insta; its parent keeps the files'
        // `source:` header as it is for this repository's snapshots/.
        if let Accepted::Dir(dir) = accepted {
            std::env::set_var("INSTA_WORKSPACE_ROOT", dir.parent().unwrap_or(dir));
        }
    }
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !IN_ASSERTION.with(Cell::get) {
            default_hook(info);
        }
    }));
}

/// The accepted snapshots a run compares with.
pub struct SnapshotStore {
    accepted: Accepted,
    mode: Mode,
    /// Outcomes already found this run, by file and shape: several cases share a variant.
    done: HashMap<(String, String), SnapshotOutcome>,
}

impl SnapshotStore {
    /// Opens the accepted set. A directory must be readable (it is created when missing, to
    /// hold pending or accepted files); the embedded set is never written, so accepting needs
    /// a directory.
    pub fn open(accepted: Accepted, mode: Mode) -> anyhow::Result<Self> {
        match &accepted {
            Accepted::Embedded if mode == Mode::Accept => bail!(
                "--accept writes the observed shapes into a directory you choose: add \
                 --snapshots DIR (the snapshots embedded in this binary are read only)"
            ),
            Accepted::Embedded => {}
            Accepted::Dir(dir) => {
                if !dir.exists() {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("--snapshots {}: cannot create it", dir.display())
                    })?;
                }
                std::fs::read_dir(dir).with_context(|| {
                    format!("--snapshots {}: cannot read the directory", dir.display())
                })?;
            }
        }
        Ok(Self {
            accepted,
            mode,
            done: HashMap::new(),
        })
    }

    /// The accepted snapshot's file name for this operation and variant.
    pub fn file_name(operation: Operation, variant: &str) -> String {
        format!("{}@{variant}.snap", operation.id())
    }

    /// The operation and variant a snapshot file name stands for (a release range after a
    /// second `@` belongs to the variant's file), if it is one.
    pub fn parse_file_name(name: &str) -> Option<(Operation, &str)> {
        let (operation, variant) = name.strip_suffix(".snap")?.split_once('@')?;
        let variant = variant
            .split_once('@')
            .map_or(variant, |(variant, _)| variant);
        Some((Operation::from_id(operation)?, variant))
    }

    /// Compares `shape` with the accepted snapshot for releases in `range` (accepting it in
    /// accept mode). One file, `<operation_id>@<variant>.snap`, holds the shape the newest
    /// releases send and every older release that sends the same; an older range that sends
    /// another shape has its own, `<operation_id>@<variant>@<range>.snap`.
    pub fn check(
        &mut self,
        operation: Operation,
        variant: &str,
        range: &ContractRange,
        shape: &Value,
    ) -> anyhow::Result<SnapshotOutcome> {
        let shared = Self::file_name(operation, variant);
        let ranged = format!("{variant}@{}", range.tag());
        let own = Self::file_name(operation, &ranged);
        let key = (format!("{own} {shared}"), shape.to_string());
        if let Some(outcome) = self.done.get(&key) {
            return Ok(outcome.clone());
        }
        let outcome = if range.is_newest() || self.accepted.contains(&own) {
            let suffix = if range.is_newest() { variant } else { &ranged };
            self.compare(operation, suffix, shape)?
        } else {
            match self.accepted.read(&shared)? {
                // An older release that sends what the newest send shares their file.
                Some(accepted) if accepted == observed_text(shape)? => match self.mode {
                    Mode::Check => SnapshotOutcome::Fresh,
                    Mode::Accept => SnapshotOutcome::Accepted { changed: false },
                },
                shared_text => {
                    let outcome = self.compare(operation, &ranged, shape)?;
                    match (outcome, shared_text) {
                        // New for this range, but a change from what the others send.
                        (SnapshotOutcome::New, Some(accepted)) => SnapshotOutcome::Stale {
                            diff: unified_diff(&accepted, &observed_text(shape)?),
                        },
                        (outcome, _) => outcome,
                    }
                }
            }
        };
        self.done.insert(key, outcome.clone());
        Ok(outcome)
    }

    /// Compares `shape` with `<operation_id>@<suffix>.snap`: through insta in a directory,
    /// as text in the embedded set (which nothing writes to).
    fn compare(
        &mut self,
        operation: Operation,
        suffix: &str,
        shape: &Value,
    ) -> anyhow::Result<SnapshotOutcome> {
        let dir = match &self.accepted {
            Accepted::Dir(dir) => dir.clone(),
            Accepted::Embedded => {
                let observed = observed_text(shape)?;
                return Ok(
                    match self.accepted.read(&Self::file_name(operation, suffix))? {
                        None => SnapshotOutcome::New,
                        Some(accepted) if accepted == observed => SnapshotOutcome::Fresh,
                        Some(accepted) => SnapshotOutcome::Stale {
                            diff: unified_diff(&accepted, &observed),
                        },
                    },
                );
            }
        };
        let operation_id = operation.id();
        let variant = suffix
            .split_once('@')
            .map_or(suffix, |(variant, _)| variant);
        let name = Self::file_name(operation, suffix);
        let pending_name = format!("{name}.new");
        // insta writes where it is told, through any link it finds there; it is told a
        // staging directory of ours, holding a copy of the accepted file, and what it writes
        // is moved into the user's directory the one way files are written (never through a
        // link; a link there is refused).
        let (staging, accepted_bytes) = stage(&dir, &name)?;
        let accepted = parse_staged(staging.path(), &name, &dir.join(&name))?;

        let mut settings = insta::Settings::new();
        settings.set_snapshot_path(staging.path());
        settings.set_prepend_module_to_snapshot(false);
        settings.set_snapshot_suffix(suffix);
        settings.set_omit_expression(true);
        settings.set_sort_maps(true);
        settings.set_description(format!(
            "Response shape of {operation_id}, variant {variant}: keys, JSON types and nullness; values only for stable contract strings"
        ));
        IN_ASSERTION.with(|flag| flag.set(true));
        let matched = panic::catch_unwind(AssertUnwindSafe(|| {
            settings.bind(|| insta::assert_json_snapshot!(operation_id, shape));
        }))
        .is_ok();
        IN_ASSERTION.with(|flag| flag.set(false));

        let outcome = match (self.mode, accepted) {
            (Mode::Accept, previous) => {
                let written =
                    std::fs::read(staging.path().join(&name)).context("insta wrote no snapshot")?;
                let changed = accepted_bytes.as_deref() != Some(written.as_slice());
                if changed {
                    files::write(&dir.join(&name), &snapshot_what(&dir, &name), &written)?;
                }
                let now = parse_staged(staging.path(), &name, &dir.join(&name))?;
                SnapshotOutcome::Accepted {
                    changed: previous != now,
                }
            }
            (Mode::Check, None) => {
                move_pending(staging.path(), &dir, &pending_name)?;
                SnapshotOutcome::New
            }
            (Mode::Check, Some(_)) if matched => SnapshotOutcome::Fresh,
            (Mode::Check, Some(accepted)) => {
                let observed =
                    match parse_staged(staging.path(), &pending_name, &dir.join(&pending_name))? {
                        Some(observed) => observed,
                        // Under CI insta writes no pending file; show the same JSON it would.
                        None => observed_text(shape)?,
                    };
                move_pending(staging.path(), &dir, &pending_name)?;
                SnapshotOutcome::Stale {
                    diff: unified_diff(&accepted, &observed),
                }
            }
        };
        Ok(outcome)
    }

    /// The accepted shapes compared with.
    pub fn accepted(&self) -> &Accepted {
        &self.accepted
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Pending `.snap.new` files left in the directory.
    pub fn pending(&self) -> usize {
        let Accepted::Dir(dir) = &self.accepted else {
            return 0;
        };
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| entry.file_name().to_string_lossy().ends_with(".snap.new"))
                    .count()
            })
            .unwrap_or(0)
    }
}

/// The text insta writes for `shape` (a test holds the two to each other).
fn observed_text(shape: &Value) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(shape)?)
}

/// How errors name a snapshot file.
fn snapshot_what(dir: &Path, name: &str) -> String {
    format!("snapshot {}", dir.join(name).display())
}

/// The bytes of `name` in the snapshots directory, or None when there is none: only a
/// regular file of sensible size, never through a link (a FIFO would block forever, a device
/// never end, a link could reach anything outside the directory).
fn read_bytes(dir: &Path, name: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let what = format!("cannot read {}", snapshot_what(dir, name));
    let bytes = files::read_in_dir(dir, name, &what, MAX_SNAPSHOT_BYTES)?;
    if bytes.as_ref().is_some_and(Vec::is_empty) {
        // insta would call it a legacy snapshot and suggest a cargo command; it is just empty.
        let path = dir.join(name);
        bail!(
            "{what}: the file is empty; delete it with `rm {}`, and the next check reports the shape it observes as new",
            crate::text::shell_word(&path.display().to_string())
        );
    }
    Ok(bytes)
}

/// A staging directory of ours holding a copy of `name` from the snapshots directory, read
/// the one safe way ([`read_bytes`]), and the bytes copied (None when there is no such file):
/// insta reads and writes there, never in the user's directory.
fn stage(dir: &Path, name: &str) -> anyhow::Result<(tempfile::TempDir, Option<Vec<u8>>)> {
    let staging = tempfile::Builder::new()
        .prefix("conformance-snapshots-")
        .tempdir()
        .context("cannot create a staging directory for insta")?;
    let bytes = read_bytes(dir, name)?;
    if let Some(bytes) = &bytes {
        std::fs::write(staging.path().join(name), bytes)
            .context("cannot stage the accepted snapshot")?;
    }
    Ok((staging, bytes))
}

/// The contents of a staged snapshot without insta's header, or None when there is none;
/// errors name the file it is a copy of, `shown`.
fn parse_staged(staging: &Path, name: &str, shown: &Path) -> anyhow::Result<Option<String>> {
    let path = staging.join(name);
    if !path.exists() {
        return Ok(None);
    }
    let snapshot = insta::Snapshot::from_file(&path)
        .map_err(|err| anyhow::anyhow!("cannot read snapshot {}: {err}", shown.display()))?;
    Ok(snapshot.as_text().map(ToString::to_string))
}

/// Moves the pending file insta left in the staging directory, if any, into the snapshots
/// directory.
fn move_pending(staging: &Path, dir: &Path, pending: &str) -> anyhow::Result<()> {
    match std::fs::read(staging.join(pending)) {
        Ok(bytes) => files::write(&dir.join(pending), &snapshot_what(dir, pending), &bytes),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err).context("cannot read the pending snapshot insta wrote"),
    }
}

fn unified_diff(accepted: &str, observed: &str) -> String {
    similar::TextDiff::from_lines(accepted, observed)
        .unified_diff()
        .context_radius(2)
        .header("accepted", "observed")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_text_is_what_insta_writes() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("snap") {
                continue;
            }
            let name = path.file_name().unwrap().to_str().unwrap();
            let contents = Accepted::Dir(dir.clone()).read(name).unwrap().unwrap();
            let shape: Value = serde_json::from_str(&contents).unwrap();
            assert_eq!(
                observed_text(&shape).unwrap(),
                contents,
                "{}",
                path.display()
            );
            checked += 1;
        }
        assert!(checked > 10);
    }

    #[test]
    fn the_embedded_set_reads_as_insta_reads_the_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
        let on_disk = Accepted::Dir(dir.clone());
        let names = Accepted::Embedded.files().unwrap();
        assert_eq!(names, on_disk.files().unwrap());
        for name in &names {
            assert_eq!(
                Accepted::Embedded.read(name).unwrap(),
                on_disk.read(name).unwrap(),
                "{name}"
            );
        }
        assert!(Accepted::Embedded.has(Operation::GetExternalAuthById, "not-authenticated"));
        assert!(!Accepted::Embedded.has(Operation::GetExternalAuthById, "no-such-variant"));
    }

    #[test]
    fn ranged_file_names_belong_to_their_variant() {
        assert_eq!(
            SnapshotStore::parse_file_name(
                "delete-external-auth-user-link-by-id@deleted@2.25-2.26.snap"
            ),
            Some((Operation::DeleteExternalAuthUserLinkById, "deleted"))
        );
        assert_eq!(
            SnapshotStore::parse_file_name("get-external-auth-by-id@not-authenticated.snap"),
            Some((Operation::GetExternalAuthById, "not-authenticated"))
        );
        assert_eq!(SnapshotStore::parse_file_name("nothing.snap"), None);
    }
}
