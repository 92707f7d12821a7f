//! Every command `check` prints as the next step runs as printed: each is taken from the
//! run's stderr (between backticks), run through `sh` with this build's `conformance` first on
//! PATH and the run's own paths, and must do what it says.

use crate::common;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use coder_external_auth::Operation;
use coder_external_auth::imitation::{Imitation, ResponseHook};
use common::binary::{self, Run, run, run_outside_ci, snapshot_copy};

/// The commands between backticks on the run's `Next` lines and in its error's `help:` and
/// message lines, in the order printed.
fn printed_commands(stderr: &str) -> Vec<String> {
    let mut commands = Vec::new();
    for line in stderr.lines().filter(|line| {
        line.trim_start().starts_with("Next ")
            || line.starts_with("error: ")
            || line.starts_with("help: ")
    }) {
        let mut parts = line.split('`');
        // Odd pieces are inside backticks.
        parts.next();
        while let Some(inside) = parts.next() {
            commands.push(inside.to_owned());
            parts.next();
        }
    }
    commands
}

/// The printed commands that are this tool's.
fn conformance_commands(run: &Run) -> Vec<String> {
    let commands = printed_commands(&run.stderr);
    assert!(!commands.is_empty(), "no command printed:\n{}", run.stderr);
    for command in &commands {
        if !command.starts_with("conformance ") {
            // `cargo insta review` is interactive, `coder tokens create` is Coder's.
            eprintln!("not run here (not this tool's, or interactive): {command}");
        }
    }
    commands
        .into_iter()
        .filter(|command| command.starts_with("conformance "))
        .collect()
}

/// Runs `command` exactly as printed, in `cwd`, with the binary under test as `conformance`
/// and only the environment named (besides PATH and HOME).
fn run_printed(command: &str, cwd: &Path, env: &[(&str, &str)]) -> Output {
    let bin = Path::new(binary::PATH).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", path);
    if let Some(home) = std::env::var_os("HOME") {
        sh.env("HOME", home);
    }
    for (key, value) in env {
        sh.env(key, value);
    }
    let output = sh.output().unwrap();
    eprintln!(
        "ran: {command}\n  exit {:?}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A snapshot copy whose accepted `get-external-auth-by-id@unknown-provider` shape says 410
/// where the imitation answers 404.
fn snapshot_copy_with_a_stale_shape() -> tempfile::TempDir {
    let dir = snapshot_copy();
    let accepted = dir
        .path()
        .join("snapshots/get-external-auth-by-id@unknown-provider.snap");
    let text = std::fs::read_to_string(&accepted).unwrap();
    let edited = text.replace("\"status\": 404", "\"status\": 410");
    assert_ne!(edited, text, "nothing edited");
    std::fs::write(&accepted, edited).unwrap();
    dir
}

/// `conformance check --snapshots DIR` (no reports), as a user runs it again afterwards.
fn check_again(snapshots: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = binary::command();
    command
        .arg("check")
        .args(extra)
        .arg("--snapshots")
        .arg(snapshots);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pending_review_hint_accepts_as_printed() {
    let run = run_outside_ci(&["check"], &[], snapshot_copy_with_a_stale_shape()).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let snapshots = run.snapshots();
    let printed = printed_commands(&run.stderr);
    let review = format!(
        "cargo insta review --workspace-root {}",
        run.dir.path().display()
    );
    assert!(printed.contains(&review), "{printed:?}");
    let commands = conformance_commands(&run);
    assert_eq!(
        commands,
        [format!(
            "conformance check --snapshots {} --accept",
            snapshots.display()
        )]
    );
    let accepted = run_printed(&commands[0], Path::new("/"), &[]);
    assert_eq!(accepted.status.code(), Some(0));
    let again = check_again(&snapshots, &[], &[]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn under_ci_the_accept_hint_runs_as_printed() {
    let run = run(&["check"], &[], snapshot_copy_with_a_stale_shape()).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let commands = conformance_commands(&run);
    assert_eq!(commands.len(), 1, "{commands:?}");
    let ci = [("CI", "true")];
    let accepted = run_printed(&commands[0], Path::new("/"), &ci);
    assert_eq!(accepted.status.code(), Some(0));
    let again = check_again(&run.snapshots(), &[], &ci);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn against_the_compiled_in_set_the_accept_hint_runs_in_the_source_tree() {
    // A shape change that breaks nothing: the unknown provider's 404 with (empty) validations.
    let hook: ResponseHook = Arc::new(|operation, status, body| {
        if operation == Operation::GetExternalAuthById
            && status.as_u16() == 404
            && let Some(serde_json::Value::Object(map)) = body
        {
            map.insert("validations".into(), serde_json::json!([]));
        }
    });
    let server = Imitation::builder()
        .response_hook(hook)
        .start()
        .await
        .unwrap();
    let token = server.session_token().expose().to_owned();
    let env = [("CODER_SESSION_TOKEN", token.as_str()), ("CI", "true")];
    // As a user runs it: the compiled-in snapshots, no --snapshots.
    let output = binary::command()
        .args(["check", "--url", server.base_url()])
        .envs(env)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let run = Run {
        code: 1,
        stdout: String::new(),
        stderr,
        json: serde_json::Value::Null,
        junit: String::new(),
        sarif: String::new(),
        elapsed: std::time::Duration::ZERO,
        dir: snapshot_copy(),
    };
    let commands = conformance_commands(&run);
    assert_eq!(
        commands,
        [format!(
            "conformance check --url {} --snapshots snapshots --accept",
            server.base_url()
        )]
    );
    // The source tree: a directory with the repository's snapshots/.
    let tree = run.dir.path();
    let accepted = run_printed(&commands[0], tree, &env);
    assert_eq!(accepted.status.code(), Some(0));
    let again = check_again(&tree.join("snapshots"), &["--url", server.base_url()], &env);
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hint_for_an_empty_snapshot_runs_as_printed() {
    let dir = snapshot_copy();
    let empty = dir
        .path()
        .join("snapshots/get-user-external-auths@no-token.snap");
    std::fs::write(&empty, "").unwrap();
    let run = run(&["check"], &[], dir).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    let printed = printed_commands(&run.stderr);
    assert_eq!(printed, [format!("rm {}", empty.display())]);
    let removed = run_printed(&printed[0], Path::new("/"), &[]);
    assert_eq!(removed.status.code(), Some(0));
    // As it said: the shape is new (exit 1), and its own hint accepts it.
    let again = run_in_place(&run.snapshots(), &[("CI", "true")]);
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("New get-user-external-auths"), "{stderr}");
    let commands: Vec<String> = printed_commands(&stderr)
        .into_iter()
        .filter(|command| command.starts_with("conformance "))
        .collect();
    assert_eq!(commands.len(), 1, "{stderr}");
    let accepted = run_printed(&commands[0], Path::new("/"), &[("CI", "true")]);
    assert_eq!(accepted.status.code(), Some(0));
    let last = run_in_place(&run.snapshots(), &[("CI", "true")]);
    assert_eq!(
        last.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&last.stderr)
    );
}

/// `conformance check --snapshots DIR` against the embedded imitation.
fn run_in_place(snapshots: &Path, env: &[(&str, &str)]) -> Output {
    check_again(snapshots, &[], env)
}
