//! `conformance spec` through the built binary: each rendering parses back to the curated
//! contract, the 3.1 rendering passes openapi-spec-validator when the pinned spec tools are
//! at hand, the printed contract describes what `conformance serve` answers over loopback,
//! and bad flags exit 2 naming the flag.

use crate::common;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

const SPEC_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/openapi/coder-external-auth.json"
);

fn conformance(args: &[&str]) -> Output {
    common::binary::command()
        .args(args)
        .env("COLUMNS", "100")
        .output()
        .unwrap()
}

/// stdout of a successful `conformance spec <args>`, which writes nothing to stderr.
fn spec(args: &[&str]) -> String {
    let output = conformance(&[&["spec"], args].concat());
    assert!(output.status.success(), "{args:?}: {output:?}");
    assert!(output.stderr.is_empty(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

fn spec_file() -> String {
    std::fs::read_to_string(SPEC_FILE).unwrap()
}

#[test]
fn help_is_reviewed() {
    let output = conformance(&["spec", "--help"]);
    assert!(output.status.success());
    insta::assert_snapshot!("spec-help", String::from_utf8(output.stdout).unwrap());
}

#[test]
fn json_is_the_spec_file() {
    let file = spec_file();
    let printed = spec(&[]);
    assert_eq!(
        serde_json::from_str::<Value>(&printed).unwrap(),
        serde_json::from_str::<Value>(&file).unwrap()
    );
    // Not just the same value: the same bytes, so a checksum of either agrees.
    assert_eq!(printed, file);
    assert_eq!(spec(&["--format", "json", "--openapi", "3.0"]), file);
}

#[test]
fn yaml_parses_back_to_the_spec_file() {
    let expected: Value = serde_json::from_str(&spec_file()).unwrap();
    let yaml = spec(&["--format", "yaml"]);
    let back: Value = serde_norway::from_str(&yaml).unwrap();
    assert_eq!(back, expected);
    // Document order, not sorted: `openapi` and `info` lead, as in the file.
    assert!(yaml.starts_with("openapi: 3.0.3\ninfo:\n"), "{yaml}");
}

#[test]
fn openapi_3_1_is_the_same_contract_in_3_1_terms() {
    let json: Value = serde_json::from_str(&spec(&["--openapi", "3.1"])).unwrap();
    let yaml: Value =
        serde_norway::from_str(&spec(&["--openapi", "3.1", "--format", "yaml"])).unwrap();
    assert_eq!(yaml, json);
    assert_eq!(json["openapi"], "3.1.0");
    assert_eq!(
        json["components"]["schemas"]["ExternalAuth"]["properties"]["user"]["anyOf"],
        serde_json::json!([{"$ref": "#/components/schemas/ExternalAuthUser"}, {"type": "null"}])
    );
    // Everything else is untouched.
    let mut file: Value = serde_json::from_str(&spec_file()).unwrap();
    file["openapi"] = "3.1.0".into();
    file["components"]["schemas"]["ExternalAuth"]["properties"]["user"]["anyOf"][1] =
        serde_json::json!({"type": "null"});
    // An inline nullable field: `type: X, nullable: true` becomes a type array.
    let extra =
        &mut file["components"]["schemas"]["ExternalAuthResponse"]["properties"]["token_extra"];
    extra["type"] = serde_json::json!(["object", "null"]);
    extra.as_object_mut().unwrap().remove("nullable");
    assert_eq!(json, file);
}

/// Runs openapi-spec-validator (which picks its 3.0 or 3.1 rules from `openapi`) on every
/// rendering. It needs the pinned Python spec tools: set SPEC_TOOLS_PYTHONPATH to the `python`
/// directory that .ci/spec-tools.sh installs (README "Using the spec in other tools").
#[test]
fn every_rendering_passes_openapi_spec_validator() {
    let Some(pythonpath) = std::env::var_os("SPEC_TOOLS_PYTHONPATH") else {
        eprintln!(
            "skipped: SPEC_TOOLS_PYTHONPATH is not set, so openapi-spec-validator is not at hand \
             (point it at the `python` directory .ci/spec-tools.sh installs to run this check)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("3.0.yaml", &["--format", "yaml"][..]),
        ("3.1.json", &["--openapi", "3.1"][..]),
        ("3.1.yaml", &["--openapi", "3.1", "--format", "yaml"][..]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, spec(args)).unwrap();
        let output = Command::new("python3")
            .args(["-m", "openapi_spec_validator"])
            .arg(&path)
            .env("PYTHONPATH", &pythonpath)
            .output()
            .expect("python3 runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains(": OK"),
            "{name}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    for (args, flag) in [
        (&["spec", "--format", "xml"][..], "--format"),
        (&["spec", "--openapi", "3.2"][..], "--openapi"),
        (&["spec", "--openapi"][..], "--openapi"),
        (&["spec", "--output", "x"][..], "--output"),
    ] {
        let output = conformance(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    // `conformance spec | head -1`: the reader leaves early.
    let mut child = common::binary::command()
        .args(["spec", "--format", "yaml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

/// Every operation the printed contract describes answers `conformance serve` over loopback
/// with a status it documents, with the token and without.
#[tokio::test(flavor = "multi_thread")]
async fn the_printed_contract_describes_what_serve_answers() {
    let printed: Value = serde_json::from_str(&spec(&["--openapi", "3.1"])).unwrap();
    let mut child = common::binary::async_command()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut value_of = async |name: &str| {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        line.strip_prefix(&format!("{name}=")).unwrap().to_owned()
    };
    let url = value_of("CODER_URL").await;
    let token = value_of("CODER_SESSION_TOKEN").await;
    // reqwest here has no default crypto provider (the crate's choice); install ring, as the
    // library's own client builder does.
    #[cfg(feature = "tls")]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let mut seen = 0;
    for (path, item) in printed["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let documented: Vec<&str> = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let target = format!(
                "{url}{}",
                path.replace("{externalauth}", "github")
                    .replace("{templateversion}", "not-a-uuid")
            );
            for with_token in [true, false] {
                let mut request = http.request(method.to_uppercase().parse().unwrap(), &target);
                if with_token {
                    request = request.header("Coder-Session-Token", &token);
                }
                if operation.get("requestBody").is_some() {
                    request = request
                        .header("Content-Type", "application/json")
                        .body(r#"{"device_code": "not-a-code"}"#);
                }
                let status = request.send().await.unwrap().status();
                assert!(
                    documented.contains(&status.as_str()),
                    "{method} {path} (token: {with_token}) answered {status}, documented {documented:?}"
                );
                seen += 1;
            }
        }
    }
    // The agent routes, given a session token or none, answer their 401s; the template
    // version route its 400 (with the token) or 401.
    assert_eq!(
        seen, 16,
        "eight operations, each with and without the token"
    );
    child.kill().await.unwrap();
}
