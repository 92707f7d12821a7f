//! The command-line surface: `--help` snapshotted so every change to it is reviewed, bad
//! input mapped to exit 2, `list`, and `serve`.

use crate::common;

fn conformance(args: &[&str]) -> std::process::Output {
    common::binary::command()
        .args(args)
        .env("COLUMNS", "100")
        .output()
        .unwrap()
}

#[test]
fn help_is_reviewed() {
    for (name, args) in [
        ("help", &["--help"][..]),
        ("check-help", &["check", "--help"][..]),
        ("serve-help", &["serve", "--help"][..]),
        ("list-help", &["list", "--help"][..]),
        ("diff-help", &["diff", "--help"][..]),
    ] {
        let output = conformance(args);
        assert!(output.status.success(), "{name}");
        insta::assert_snapshot!(name, String::from_utf8(output.stdout).unwrap());
    }
}

#[test]
fn bad_flags_cannot_run() {
    for args in [
        &["--no-such-flag"][..],
        &["check", "--timeout", "soon"][..],
        &["serve", "--addr", "not-an-address"][..],
    ] {
        let output = conformance(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty());
    }
}

#[test]
fn invalid_url_names_the_flag() {
    let output = conformance(&["check", "--url", "coder.example.com", "--token", "x"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--url"), "{stderr}");
    assert!(stderr.contains("invalid base URL"), "{stderr}");
}

#[test]
fn a_snapshot_path_that_is_a_file_cannot_run() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let output = conformance(&["check", "--snapshots", file.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--snapshots"), "{stderr}");
}

#[test]
fn list_shows_every_operation_and_which_variants_are_accepted() {
    let output = conformance(&["list"]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("get-user-external-auths\n"), "{stdout}");
    assert!(stdout.contains("accepted  providers-and-links"), "{stdout}");
    // The embedded set accepts every variant; an empty directory accepts none.
    assert!(stdout.contains("accepted  empty"), "{stdout}");
    assert!(!stdout.contains("missing"), "{stdout}");
    let empty = tempfile::tempdir().unwrap();
    let output = conformance(&["list", "--snapshots", empty.path().to_str().unwrap()]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("missing   empty"), "{stdout}");
    assert!(!stdout.contains("accepted  "), "{stdout}");
}

#[test]
fn list_of_a_directory_that_is_not_there_cannot_run() {
    let output = conformance(&["list", "--snapshots", "/nonexistent/snapshots"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--snapshots /nonexistent/snapshots"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_prints_the_url_and_token_and_answers() {
    let mut served = common::binary::serve(&["--addr", "127.0.0.1:0"]).await;
    let (url, token) = (served.url.clone(), served.token.clone());
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let client = coder_external_auth::ClientBuilder::new(&url)
        .session_token(token)
        .build()
        .unwrap();
    let list = client.get_user_external_auths().await.unwrap();
    assert!(!list.providers.is_empty());
    served.child.kill().await.unwrap();
}
