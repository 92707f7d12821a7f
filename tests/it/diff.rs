//! `conformance diff` end to end: the built binary against the upstream Swagger fixture,
//! mutated copies of it, two curated spec versions, and the ways it cannot run.

#![cfg(feature = "conformance")]

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tempfile::TempDir;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/upstream/releases/swagger-v2.36.1.json"
);
const CURATED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/openapi/coder-external-auth.json"
);

const LIST: &str = "GET /api/v2/external-auth";
const BY_ID: &str = "GET /api/v2/external-auth/{externalauth}";
const DELETE: &str = "DELETE /api/v2/external-auth/{externalauth}";
const DEVICE: &str = "GET /api/v2/external-auth/{externalauth}/device";

/// What one run left behind.
struct Run {
    code: i32,
    stderr: String,
    /// The `--json` report, when the run got far enough to write one.
    report: Option<Value>,
}

impl Run {
    fn differences(&self) -> &Vec<Value> {
        self.report.as_ref().expect("a JSON report")["differences"]
            .as_array()
            .unwrap()
    }

    /// The differences that are not known divergences.
    fn drift(&self) -> Vec<&Value> {
        self.differences()
            .iter()
            .filter(|d| d["known"] == false)
            .collect()
    }

    fn find(&self, key: &str) -> &Value {
        self.differences()
            .iter()
            .find(|d| d["key"] == key)
            .unwrap_or_else(|| panic!("no difference {key} in\n{}", self.stderr))
    }

    fn stale(&self) -> Vec<String> {
        self.report.as_ref().unwrap()["stale_known"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                format!(
                    "{}|{}",
                    s["at"].as_str().unwrap(),
                    s["kind"].as_str().unwrap()
                )
            })
            .collect()
    }
}

fn conformance(dir: &Path, args: &[&str]) -> Run {
    let report = dir.join("report.json");
    let _ = std::fs::remove_file(&report);
    let output = common::binary::command()
        .arg("diff")
        .args(args)
        .arg("--json")
        .arg(&report)
        .output()
        .expect("the conformance binary runs");
    let report = std::fs::read_to_string(&report)
        .ok()
        .map(|text| serde_json::from_str(&text).expect("the JSON report parses"));
    Run {
        code: output.status.code().expect("an exit code"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        report,
    }
}

fn fixture() -> Value {
    serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap()
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
    path
}

/// Runs `diff --upstream <mutated fixture>` against the committed curated spec.
fn upstream(mutate: impl FnOnce(&mut Value)) -> (TempDir, Run) {
    let dir = TempDir::new().unwrap();
    let mut swagger = fixture();
    mutate(&mut swagger);
    let path = write(dir.path(), "swagger.json", &swagger);
    let run = conformance(dir.path(), &["--upstream", path.to_str().unwrap()]);
    (dir, run)
}

/// The fixture rewritten the way releases up to v2.33 publish it.
fn old_base_path(swagger: &mut Value) {
    swagger["basePath"] = json!("/api/v2");
    let paths = swagger["paths"].as_object().unwrap().clone();
    swagger["paths"] = paths
        .into_iter()
        .map(|(path, item)| (path.strip_prefix("/api/v2").unwrap().to_owned(), item))
        .collect::<serde_json::Map<_, _>>()
        .into();
}

fn device_property(swagger: &mut Value) -> &mut Value {
    &mut swagger["definitions"]["codersdk.ExternalAuthDevice"]["properties"]
}

#[test]
fn the_upstream_fixture_differs_only_in_known_ways() {
    let (_dir, run) = upstream(|_| {});
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.drift().is_empty(), "{}", run.stderr);
    assert!(run.stale().is_empty(), "{:?}", run.stale());
    let report = run.report.as_ref().unwrap();
    assert_eq!(report["summary"]["new"], 0);
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["old"]["format"], "OpenAPI 3.0.3");
    assert_eq!(report["new"]["format"], "Swagger 2.0");
    for difference in run.differences() {
        assert_eq!(difference["status"], "known");
        assert!(!difference["reason"].as_str().unwrap().is_empty());
        assert!(!difference["evidence"].as_array().unwrap().is_empty());
    }
    // The headline divergences are there, classified, with their reasons.
    let list = run.find(&format!("{LIST} 200 response body links|field_removed"));
    assert_eq!(list["severity"], "breaking");
    assert!(
        list["reason"]
            .as_str()
            .unwrap()
            .contains("ListUserExternalAuthResponse")
    );
    let body = run
        .find("POST /api/v2/external-auth/{externalauth}/device request body|request_body_removed");
    assert!(
        body["evidence"][0]
            .as_str()
            .unwrap()
            .contains("coderd/externalauth.go")
    );
    let user = run.find(&format!(
        "{BY_ID} 200 response body user|became_non_nullable"
    ));
    assert_eq!(user["severity"], "non-breaking");
    let id = run.find(&format!("{BY_ID} 200 response body user.id|format_removed"));
    assert_eq!(
        (&id["severity"], &id["old"]),
        (&json!("informational"), &json!("int64"))
    );
    run.find(&format!("{DELETE} 404 response|response_removed"));
    assert!(run.stderr.contains("0 new drift"), "{}", run.stderr);
}

#[test]
fn types_upstream_never_names_are_reported_not_comparable() {
    let (_dir, run) = upstream(|_| {});
    // Informational: the exit status is the fixture's, 0.
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.report.as_ref().unwrap();
    let listed: Vec<(&str, &str)> = report["not_comparable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["side"].as_str().unwrap(), n["type"].as_str().unwrap()))
        .collect();
    for name in [
        "ListUserExternalAuthResponse",
        "ExternalAuthLinkProvider",
        "ExternalAuthDeviceExchange",
    ] {
        assert!(listed.contains(&("curated", name)), "{name} in {listed:?}");
        assert!(
            run.stderr
                .contains(&format!("     Skipped curated type {name} (used by ")),
            "{}",
            run.stderr
        );
    }
    // Types both sides name are compared, so never listed.
    assert!(
        !listed
            .iter()
            .any(|(_, name)| name.ends_with("ExternalAuthDevice"))
    );
    let exchange = report["not_comparable"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == "ExternalAuthDeviceExchange")
        .unwrap();
    assert_eq!(
        exchange["operations"],
        json!(["POST /api/v2/external-auth/{externalauth}/device"])
    );
    assert_eq!(exchange["severity"], "informational");
    assert_eq!(report["summary"]["not_comparable"], listed.len());
    assert!(
        run.stderr
            .contains(&format!("{} types not comparable", listed.len())),
        "{}",
        run.stderr
    );

    // Once upstream references a type of that name, it is compared and no longer listed.
    let (_dir, run) = upstream(|swagger| {
        swagger["definitions"]["codersdk.ExternalAuthDeviceExchange"] =
            json!({"type": "object", "properties": {"device_code": {"type": "string"}}});
        swagger["paths"]["/api/v2/external-auth/{externalauth}/device"]["post"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "request", "in": "body", "required": true,
                "schema": {"$ref": "#/definitions/codersdk.ExternalAuthDeviceExchange"}}));
    });
    let listed = run.report.as_ref().unwrap()["not_comparable"].to_string();
    assert!(!listed.contains("ExternalAuthDeviceExchange"), "{listed}");
    assert!(listed.contains("ListUserExternalAuthResponse"), "{listed}");
}

#[test]
fn two_versions_report_nothing_as_not_comparable() {
    let dir = TempDir::new().unwrap();
    let run = conformance(dir.path(), &[CURATED, FIXTURE]);
    assert_eq!(run.report.as_ref().unwrap()["not_comparable"], json!([]));
    assert!(!run.stderr.contains("Skipped"), "{}", run.stderr);
}

#[test]
fn the_pre_v2_34_base_path_layout_is_equivalent() {
    let (_dir, run) = upstream(old_base_path);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.drift().is_empty());
    let (_dir, current) = upstream(|_| {});
    assert_eq!(run.differences().len(), current.differences().len());
}

#[test]
fn a_new_response_field_is_non_breaking_drift() {
    let (_dir, run) = upstream(|swagger| {
        device_property(swagger)["verification_uri_complete"] = json!({"type": "string"});
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    let drift = run.drift();
    assert_eq!(drift.len(), 1, "{}", run.stderr);
    assert_eq!(
        drift[0]["key"],
        format!("{DEVICE} 200 response body verification_uri_complete|field_added")
    );
    assert_eq!(drift[0]["severity"], "non-breaking");
    assert_eq!(drift[0]["status"], "drift");
    assert_eq!(drift[0]["new"], "string");
    assert!(
        run.stderr.contains(&format!(
            "       Drift {DEVICE} 200 response body verification_uri_complete: field added (string) [non-breaking]"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("1 new drift (0 breaking, 1 non-breaking"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("help: "), "{}", run.stderr);
}

#[test]
fn a_removed_operation_is_breaking_and_its_known_entries_go_stale() {
    let (_dir, run) = upstream(|swagger| {
        swagger["paths"]["/api/v2/external-auth/{externalauth}"]
            .as_object_mut()
            .unwrap()
            .remove("delete");
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    let drift = run.drift();
    assert_eq!(drift.len(), 1, "{}", run.stderr);
    assert_eq!(drift[0]["key"], format!("{DELETE}|operation_removed"));
    assert_eq!(drift[0]["severity"], "breaking");
    assert!(
        run.stale()
            .contains(&format!("{DELETE} 401 response|response_removed"))
    );
    assert!(run.stderr.contains("       Stale "), "{}", run.stderr);
}

#[test]
fn a_type_change_is_breaking() {
    let (_dir, run) = upstream(|swagger| {
        device_property(swagger)["interval"] = json!({"type": "string"});
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    let drift = run.drift();
    assert_eq!(drift.len(), 1, "{}", run.stderr);
    assert_eq!(
        drift[0]["key"],
        format!("{DEVICE} 200 response body interval|type_changed")
    );
    assert_eq!(drift[0]["severity"], "breaking");
    assert_eq!(
        (&drift[0]["old"], &drift[0]["new"]),
        (&json!("integer (int64)"), &json!("string"))
    );
}

#[test]
fn a_new_required_parameter_is_breaking() {
    let (_dir, run) = upstream(|swagger| {
        swagger["paths"]["/api/v2/external-auth"]["get"]["parameters"] =
            json!([{"name": "owner", "in": "query", "required": true, "type": "string"}]);
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    let drift = run.drift();
    assert_eq!(drift.len(), 1, "{}", run.stderr);
    assert_eq!(
        drift[0]["key"],
        format!("{LIST} query parameter owner|required_parameter_added")
    );
    assert_eq!(drift[0]["severity"], "breaking");
}

#[test]
fn a_field_becoming_nullable_is_breaking() {
    let (_dir, run) = upstream(|swagger| {
        device_property(swagger)["device_code"]["x-nullable"] = json!(true);
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    let drift = run.drift();
    assert_eq!(drift.len(), 1, "{}", run.stderr);
    assert_eq!(
        drift[0]["key"],
        format!("{DEVICE} 200 response body device_code|became_nullable")
    );
    assert_eq!(drift[0]["severity"], "breaking");
}

#[test]
fn upstream_fixing_a_known_divergence_leaves_a_stale_entry() {
    let (_dir, run) = upstream(|swagger| {
        swagger["definitions"]["codersdk.ExternalAuth"]["properties"]["user"]["x-nullable"] =
            json!(true);
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.drift().is_empty(), "{}", run.stderr);
    assert_eq!(
        run.stale(),
        [format!(
            "{BY_ID} 200 response body user|became_non_nullable"
        )]
    );
    assert!(
        run.stderr.contains("help: remove the stale entries"),
        "{}",
        run.stderr
    );
}

#[test]
fn identical_spec_versions_have_no_differences() {
    let dir = TempDir::new().unwrap();
    let run = conformance(dir.path(), &[CURATED, CURATED]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.differences().is_empty());
    assert_eq!(run.report.as_ref().unwrap()["mode"], "versions");
}

#[test]
fn a_removed_required_response_field_between_versions_is_breaking() {
    let dir = TempDir::new().unwrap();
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(CURATED).unwrap()).unwrap();
    let schema = &mut spec["components"]["schemas"]["DeleteExternalAuthByIDResponse"];
    schema["properties"]
        .as_object_mut()
        .unwrap()
        .remove("token_revoked");
    schema["required"] = json!([]);
    let new = write(dir.path(), "new.json", &spec);
    let run = conformance(dir.path(), &[CURATED, new.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.differences().len(), 1, "{}", run.stderr);
    let removed = run.find(&format!(
        "{DELETE} 200 response body token_revoked|field_removed"
    ));
    assert_eq!(removed["severity"], "breaking");
    assert_eq!(removed["status"], "change");
    assert!(run.stderr.contains("    Breaking DELETE"), "{}", run.stderr);
}

#[test]
fn an_added_optional_response_field_between_versions_passes() {
    let dir = TempDir::new().unwrap();
    let mut spec: Value = serde_json::from_str(&std::fs::read_to_string(CURATED).unwrap()).unwrap();
    spec["components"]["schemas"]["ExternalAuthDevice"]["properties"]["verification_uri_complete"] =
        json!({"type": "string"});
    let new = write(dir.path(), "new.json", &spec);
    let run = conformance(dir.path(), &[CURATED, new.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let added = run.find(&format!(
        "{DEVICE} 200 response body verification_uri_complete|field_added"
    ));
    assert_eq!(added["severity"], "non-breaking");
}

#[test]
fn old_and_new_may_be_swagger_in_either_base_path_layout() {
    let dir = TempDir::new().unwrap();
    let mut old = fixture();
    old_base_path(&mut old);
    let old = write(dir.path(), "old.json", &old);
    let run = conformance(dir.path(), &[old.to_str().unwrap(), FIXTURE]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.differences().is_empty(), "{}", run.stderr);
}

#[test]
fn a_file_that_is_not_an_api_description_cannot_run() {
    let dir = TempDir::new().unwrap();
    let other = write(dir.path(), "package.json", &json!({"name": "not-an-api"}));
    let run = conformance(dir.path(), &["--upstream", other.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.report.is_none());
    assert!(
        run.stderr.contains(other.to_str().unwrap()),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("neither a `swagger: \"2.0\"`"),
        "{}",
        run.stderr
    );

    let yaml = dir.path().join("spec.yaml");
    std::fs::write(&yaml, "openapi: 3.0.3\n").unwrap();
    let run = conformance(dir.path(), &[CURATED, yaml.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("spec.yaml is not JSON"),
        "{}",
        run.stderr
    );

    let v31 = write(
        dir.path(),
        "v31.json",
        &json!({"openapi": "3.1.0", "paths": {}}),
    );
    let run = conformance(dir.path(), &[CURATED, v31.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("only OpenAPI 3.0.x"), "{}", run.stderr);
}

#[test]
fn a_missing_file_cannot_run() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("nowhere.json");
    let run = conformance(dir.path(), &["--upstream", missing.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("cannot read {}", missing.display())),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unreachable_url_cannot_run() {
    let dir = TempDir::new().unwrap();
    // Bind then drop: the port is closed, and nobody else is likely to take it meanwhile.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/swagger.json");
    let run = conformance(dir.path(), &["--upstream", &url, "--timeout", "5"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("cannot fetch {url}")),
        "{}",
        run.stderr
    );
}

/// Serves `status` and `body` to every connection on a loopback port, from a thread.
fn serve(status: &'static str, body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/coderd/apidoc/swagger.json",
        listener.local_addr().unwrap()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn upstream_is_fetched_over_http() {
    let dir = TempDir::new().unwrap();
    let url = serve("200 OK", std::fs::read_to_string(FIXTURE).unwrap());
    let run = conformance(dir.path(), &["--upstream", &url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.drift().is_empty());
    assert_eq!(run.report.as_ref().unwrap()["new"]["source"], url);

    let missing = serve("404 Not Found", "{}".to_owned());
    let run = conformance(dir.path(), &["--upstream", &missing]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("answered 404"), "{}", run.stderr);
}

#[test]
fn a_known_divergence_without_a_reason_is_refused() {
    let dir = TempDir::new().unwrap();
    let known = write(
        dir.path(),
        "known.json",
        &json!({"divergences": [{"kind": "field_added", "at": [LIST], "reason": "", "evidence": []}]}),
    );
    let run = conformance(
        dir.path(),
        &["--upstream", FIXTURE, "--known", known.to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("known.json is not a valid known-divergences file"),
        "{}",
        run.stderr
    );
}

#[test]
fn upstream_and_old_new_are_exclusive() {
    let dir = TempDir::new().unwrap();
    let run = conformance(dir.path(), &["--upstream", FIXTURE, CURATED, CURATED]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

/// Each release's published Swagger (the external-auth excerpt of its
/// coderd/apidoc/swagger.json, `tests/fixtures/upstream/releases`, written by `excerpt.py`
/// from Coder's Go module at the tag) against the contract of that release: every
/// difference is a known divergence of that release, and no entry of that release is stale.
#[test]
fn every_release_s_own_swagger_differs_only_in_known_ways() {
    let releases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream/releases");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&releases).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let release = name.strip_prefix("swagger-v").expect("swagger-vX.Y.Z.json");
        let dir = TempDir::new().unwrap();
        let run = conformance(
            dir.path(),
            &[
                "--upstream",
                path.to_str().unwrap(),
                "--coder-version",
                release,
            ],
        );
        assert_eq!(run.code, 0, "{release}: {}", run.stderr);
        assert!(run.drift().is_empty(), "{release}: {}", run.stderr);
        assert!(run.stale().is_empty(), "{release}: {:?}", run.stale());
        seen.push(release.to_owned());
    }
    seen.sort();
    // One per contract range at least: the oldest, each boundary's side, and the newest.
    for release in ["2.25.2", "2.26.5", "2.27.0", "2.30.0", "2.35.3", "2.36.1"] {
        assert!(
            seen.iter().any(|r| r == release),
            "no Swagger of {release}: {seen:?}"
        );
    }
}

/// The same Swagger read as another release's contract is not clean: the releases'
/// differences are real, and entries scoped to a release do not hide them elsewhere.
#[test]
fn a_release_s_swagger_read_as_another_release_drifts() {
    let swagger = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upstream/releases/swagger-v2.26.5.json");
    let dir = TempDir::new().unwrap();
    let run = conformance(
        dir.path(),
        &[
            "--upstream",
            swagger.to_str().unwrap(),
            "--coder-version",
            "2.36.1",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        !run.drift().is_empty() || !run.stale().is_empty(),
        "{}",
        run.stderr
    );
}

/// `diff --upstream` on v2.35.1's own Swagger with `--suggest`, as Coder's maintainers read it:
/// the direction, then every root cause with its reason, the evidence in Coder's source at
/// v2.35.1 (never another tag's lines) and the change that would make the Swagger true.
#[test]
fn the_v2_35_1_report_gives_each_root_cause_its_evidence_at_v2_35_1_and_a_fix() {
    let swagger = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upstream/releases/swagger-v2.35.1.json");
    let dir = TempDir::new().unwrap();
    let run = conformance(
        dir.path(),
        &[
            "--upstream",
            swagger.to_str().unwrap(),
            "--coder-version",
            "2.35.1",
            "--suggest",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = &run.stderr;
    // A sample of the report, line for line.
    for expected in [
        "   Direction curated -> upstream: the curated spec says what Coder's server does, as Coder 2.35.1's contract; \
         each difference is what upstream's Swagger says instead",
        "       Cause list-annotation (9 known differences)\n",
        "             Upstream documents the list's 200 body as a single codersdk.ExternalAuthLink;",
        "    Evidence v2.35.1:coderd/externalauth.go:347 `// @Success 200 {object} codersdk.ExternalAuthLink` (the list's @Success)\n",
        "             v2.35.1:coderd/externalauth.go:402 `httpapi.Write(ctx, rw, http.StatusOK, codersdk.ListUserExternalAuthResponse{` (what the handler writes)\n",
        "     Suggest coderd/externalauth.go, listUserExternalAuths: `// @Success 200 {object} codersdk.ListUserExternalAuthResponse` instead of `codersdk.ExternalAuthLink`",
        "       Cause device-post-body (1 known differences)\n",
        "     Suggest coderd/externalauth.go, postExternalAuthDeviceByID: `// @Accept json` and `// @Param request body codersdk.ExternalAuthDeviceExchange true \"Device code\"`\n",
        "       Cause no-failure-annotations (",
        "     Suggest swaggo: one `// @Failure <status> {object} codersdk.Response` line per status (401 and 403) in the comment above each of the five handlers in coderd/externalauth.go\n",
        "       Cause go-fields-always-written (",
        "    Evidence v2.35.1:codersdk/externalauth.go:51-65 `type ExternalAuth struct {`\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("v2.36.1:"), "another tag's lines:\n{text}");
    assert!(!text.contains("Drift"), "{text}");

    // Every root cause, in the JSON: each entry's evidence is at v2.35.1 and it has a fix.
    let report = run.report.as_ref().unwrap();
    assert_eq!(report["coder_version"], "2.35.1");
    assert!(
        report["direction"]
            .as_str()
            .unwrap()
            .starts_with("curated -> upstream")
    );
    let causes = report["root_causes"].as_array().unwrap();
    let names: Vec<&str> = causes
        .iter()
        .map(|c| c["cause"].as_str().unwrap())
        .collect();
    for cause in [
        "list-annotation",
        "device-post-body",
        "no-failure-annotations",
        "nullable-fields",
        "go-fields-always-written",
        "integer-formats",
        "path-parameter-format",
        "summary-full-stop",
        "agent-query-parameters",
    ] {
        assert!(names.contains(&cause), "{cause} not in {names:?}");
    }
    let explained: usize = causes
        .iter()
        .flat_map(|c| c["entries"].as_array().unwrap())
        .map(|e| {
            assert_eq!(e["evidence_tag"], "v2.35.1", "{e}");
            assert!(e["suggest"].as_str().is_some_and(|s| !s.is_empty()), "{e}");
            let evidence = e["evidence"].as_array().unwrap();
            assert!(
                evidence
                    .iter()
                    .any(|r| r.as_str().unwrap().starts_with("v2.35.1:")),
                "{e}"
            );
            e["differences"].as_array().unwrap().len()
        })
        .sum();
    assert_eq!(
        explained,
        run.differences().len(),
        "every difference has its cause"
    );
}

/// An older release's Swagger without `--coder-version`: named as that release's, with the
/// flag to pass, instead of a list of drift; the hint runs as printed and passes.
#[test]
fn an_older_release_s_swagger_without_coder_version_suggests_the_flag() {
    let swagger = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upstream/releases/swagger-v2.26.5.json");
    let dir = TempDir::new().unwrap();
    let run = conformance(dir.path(), &["--upstream", swagger.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("       Drift "), "{}", run.stderr);
    assert!(run.stderr.contains("     Release the "), "{}", run.stderr);
    let help = run
        .stderr
        .lines()
        .find(|l| l.starts_with("help: "))
        .unwrap_or_else(|| panic!("no help in\n{}", run.stderr));
    let version = help
        .split("--coder-version ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{help}"));
    assert_eq!(run.report.as_ref().unwrap()["release_hint"], version);
    let again = conformance(
        dir.path(),
        &[
            "--upstream",
            swagger.to_str().unwrap(),
            "--coder-version",
            version,
        ],
    );
    assert_eq!(again.code, 0, "{help}\n{}", again.stderr);
}

/// Drift's `help:` names files a user can edit, never "the embedded" ones.
#[test]
fn help_names_files_a_user_can_edit() {
    let (_dir, run) = upstream(|swagger| {
        device_property(swagger)["extra"] = json!({"type": "string"});
    });
    assert_eq!(run.code, 1, "{}", run.stderr);
    let help: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("help:"))
        .collect();
    assert!(!help.is_empty(), "{}", run.stderr);
    for line in &help {
        assert!(!line.contains("embedded"), "{line}");
    }
    assert!(
        help.iter().any(|l| l
            .contains("openapi/known-divergences.json in this crate's source tree")
            && l.contains("--known FILE")
            && l.contains("openapi/coder-external-auth.json")),
        "{help:?}"
    );
    let dir = TempDir::new().unwrap();
    let known = dir.path().join("mine.json");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/known-divergences.json"),
        &known,
    )
    .unwrap();
    let mut swagger = fixture();
    device_property(&mut swagger)["extra"] = json!({"type": "string"});
    let path = write(dir.path(), "swagger.json", &swagger);
    let run = conformance(
        dir.path(),
        &[
            "--upstream",
            path.to_str().unwrap(),
            "--known",
            known.to_str().unwrap(),
        ],
    );
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("help:") && l.contains(known.to_str().unwrap())),
        "{}",
        run.stderr
    );
}
