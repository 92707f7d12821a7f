//! `conformance diff` against hostile inputs: reference fan-outs and chains, oversized names and
//! differences, files that are not regular files or are too large, and loopback servers that
//! stream without end, lie about their length or trickle. Every one must end in exit 2 with a
//! message naming the limit, and without a panic. Runs are bounded by a hang guard (a harness
//! timeout, never an assertion on time); one test holds the binary to a hard address-space
//! limit, under which the unbounded reading of old aborted.

#![cfg(all(feature = "conformance", unix))]

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
const BINARY: &str = common::binary::PATH;

/// The documented limits (README "Limits"), as the messages spell them.
const NODES: &str = "more than 10000 nodes (MAX_SCHEMA_NODES";
const NAME: &str = "longer than 1024 bytes (MAX_NAME_BYTES";
const DOCUMENT: &str = "larger than 8 MiB (MAX_DOCUMENT_BYTES";
const DIFFERENCES: &str = "more than 1 MiB of text (MAX_DIFFERENCE_BYTES";
const DOCUMENT_BYTES: u64 = 8 * 1024 * 1024;

/// A hang guard for the suite, not a measurement: a run still going after this is killed and
/// the test fails. Every run here ends in well under a second when the limits hold.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// The hard address-space limit of `memory_is_bounded_under_a_hard_address_space_limit`: far
/// above what a bounded run needs (an 8 MiB description of empty objects peaks under 400 MiB of
/// address space in a debug build), far below the gigabytes the unbounded diff reached.
const ADDRESS_SPACE_KIB: u64 = 1024 * 1024;

struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    stderr: String,
    report: Option<Value>,
}

impl Run {
    /// Exit 2, the message says `needle`, nothing panicked, no report was written.
    fn could_not_run(&self, needle: &str) {
        assert_eq!(
            (self.code, self.signal),
            (Some(2), None),
            "exit 2 expected:\n{}",
            self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "{needle:?} in\n{}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(self.report.is_none());
    }

    /// Ran to a verdict (0 or 1), without a panic.
    fn ran(&self) {
        assert!(
            matches!(self.code, Some(0 | 1)),
            "a verdict expected, got {:?} (signal {:?}):\n{}",
            self.code,
            self.signal,
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
    }
}

/// Runs `conformance diff <args> --json <dir>/report.json`, optionally under a hard
/// address-space limit, killing it if it outlives the hang guard.
fn diff(dir: &Path, args: &[&str], address_space_kib: Option<u64>) -> Run {
    let report = dir.join("report.json");
    let _ = std::fs::remove_file(&report);
    let stderr_path = dir.join("stderr.txt");
    let mut command = match address_space_kib {
        // `ulimit -v` is setrlimit(RLIMIT_AS) in every POSIX shell on Linux; `exec` keeps the
        // limit and makes the binary the process whose status is read.
        Some(kib) => {
            let mut command = Command::new("sh");
            command
                .arg("-c")
                .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
                .arg(BINARY);
            command
        }
        None => Command::new(BINARY),
    };
    command
        .arg("diff")
        .args(args)
        .arg("--json")
        .arg(&report)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap());
    let mut child = command.spawn().expect("the conformance binary starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "conformance diff {args:?} still running after the {HANG_GUARD:?} hang guard:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        signal: status.signal(),
        stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
        report: std::fs::read_to_string(&report)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok()),
    }
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(value).unwrap()).unwrap();
    path
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A Swagger document whose list operation answers `schema`, with `definitions`.
fn swagger(schema: Value, definitions: Value) -> Value {
    json!({
        "swagger": "2.0",
        "basePath": "/",
        "paths": {"/api/v2/external-auth": {"get": {
            "operationId": "get-user-external-auths",
            "responses": {"200": {"description": "OK", "schema": schema}}
        }}},
        "definitions": definitions
    })
}

/// `depth` definitions, each referencing the next `width` times through `via`; no cycle.
fn fan_out(depth: usize, width: usize, via: &str) -> Value {
    let mut definitions = serde_json::Map::new();
    for level in 0..depth {
        let next = json!({"$ref": format!("#/definitions/D{}", level + 1)});
        let definition = match via {
            "properties" => json!({"type": "object", "properties":
                (0..width).map(|i| (format!("p{i}"), next.clone())).collect::<serde_json::Map<_, _>>()}),
            "allOf" => json!({"allOf": vec![next; width]}),
            "items" => json!({"type": "object", "properties":
                (0..width).map(|i| (format!("p{i}"), json!({"type": "array", "items": next.clone()}))).collect::<serde_json::Map<_, _>>()}),
            other => panic!("no fan-out via {other}"),
        };
        definitions.insert(format!("D{level}"), definition);
    }
    definitions.insert(format!("D{depth}"), json!({"type": "string"}));
    swagger(json!({"$ref": "#/definitions/D0"}), definitions.into())
}

#[test]
fn reference_fan_outs_stop_at_the_node_budget() {
    let dir = TempDir::new().unwrap();
    // The report of issue 14 (24 levels, two references each: 16 million nodes from 3 KB),
    // then other shapes of the same explosion: shallower, wider, through allOf and items.
    for (depth, width, via) in [
        (24, 2, "properties"),
        (14, 2, "properties"),
        (8, 8, "properties"),
        (2, 20_000, "properties"),
        (30, 2, "allOf"),
        (20, 3, "items"),
    ] {
        let file = write(dir.path(), "fan-out.json", &fan_out(depth, width, via));
        let run = diff(dir.path(), &["--upstream", path(&file)], None);
        run.could_not_run(NODES);
        assert!(run.stderr.contains(path(&file)), "{}", run.stderr);
        assert!(
            run.stderr
                .contains("in operation GET /api/v2/external-auth"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_fan_out_within_the_budget_is_compared() {
    let dir = TempDir::new().unwrap();
    // 1 + 10 + 100 + 1000 objects and as many references: wide, but under 10,000 nodes.
    let file = write(dir.path(), "wide.json", &fan_out(3, 10, "properties"));
    let run = diff(dir.path(), &["--upstream", path(&file)], None);
    run.ran();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
}

#[test]
fn a_fan_out_on_either_side_of_two_versions_is_refused() {
    let dir = TempDir::new().unwrap();
    let file = write(dir.path(), "fan-out.json", &fan_out(20, 2, "properties"));
    for args in [[CURATED, path(&file)], [path(&file), CURATED]] {
        diff(dir.path(), &args, None).could_not_run(NODES);
    }
    // And as the curated side of --upstream.
    let run = diff(
        dir.path(),
        &["--upstream", FIXTURE, "--spec", path(&file)],
        None,
    );
    run.could_not_run(NODES);
}

#[test]
fn parameters_and_responses_reached_by_reference_count_too() {
    let dir = TempDir::new().unwrap();
    // 20,000 parameters, each the same referenced parameter: one object, many visits.
    let mut doc = swagger(json!({"type": "string"}), json!({}));
    doc["parameters"] = json!({"p": {"name": "q", "in": "query", "type": "string"}});
    doc["paths"]["/api/v2/external-auth"]["get"]["parameters"] =
        Value::Array(vec![json!({"$ref": "#/parameters/p"}); 20_000]);
    let file = write(dir.path(), "parameters.json", &doc);
    diff(dir.path(), &["--upstream", path(&file)], None).could_not_run(NODES);
}

#[test]
fn long_reference_chains_stop_at_the_depth_limit() {
    let dir = TempDir::new().unwrap();
    // A straight chain: no fan-out, 70 links.
    let file = write(dir.path(), "chain.json", &fan_out(70, 1, "properties"));
    let run = diff(dir.path(), &["--upstream", path(&file)], None);
    run.could_not_run("schema nested deeper than 64 levels");

    // A chain of parameter references, followed link by link.
    let mut doc = swagger(json!({"type": "string"}), json!({}));
    let parameters: serde_json::Map<_, _> = (0..70)
        .map(|i| {
            (
                format!("p{i}"),
                json!({"$ref": format!("#/parameters/p{}", i + 1)}),
            )
        })
        .collect();
    doc["parameters"] = parameters.into();
    doc["paths"]["/api/v2/external-auth"]["get"]["parameters"] =
        json!([{"$ref": "#/parameters/p0"}]);
    let file = write(dir.path(), "parameter-chain.json", &doc);
    let run = diff(dir.path(), &["--upstream", path(&file)], None);
    run.could_not_run("$ref chain longer than 64 links");
}

#[test]
fn names_longer_than_the_limit_are_refused() {
    let dir = TempDir::new().unwrap();
    let long = "n".repeat(2_000);
    let object = |properties: Value| json!({"type": "object", "properties": properties});
    for (what, schema) in [
        (
            "property name",
            object(json!({ long.clone(): {"type": "string"} })),
        ),
        ("`format`", json!({"type": "string", "format": long})),
        ("`type`", json!({"type": long})),
        ("`type`", json!({"type": {"huge": long}})),
        (
            "`required` entry",
            json!({"type": "object", "required": [long]}),
        ),
    ] {
        let file = write(dir.path(), "long.json", &swagger(schema, json!({})));
        let run = diff(dir.path(), &["--upstream", path(&file)], None);
        run.could_not_run(NAME);
        assert!(run.stderr.contains(what), "{what} in\n{}", run.stderr);
    }
}

#[test]
fn server_urls_base_paths_and_paths_are_held_to_the_name_limit() {
    let dir = TempDir::new().unwrap();
    let openapi = |servers: Value| {
        json!({"openapi": "3.0.3", "servers": servers, "paths": {
            "/api/v2/external-auth": {"get": {"responses": {"204": {"description": "No Content"}}}}
        }})
    };
    // `{a}` 200,000 times with a 1 KiB default would expand to 200 MB, and a default naming
    // further variables multiplies again; both are measured before they are made.
    let many =
        openapi(json!([{"url": "{a}".repeat(200_000), "variables": {"a": {"default": "x"}}}]));
    let chained = openapi(json!([{"url": "https://h/{a}{a}{a}{a}", "variables": {
        "a": {"default": "{b}{b}{b}{b}"},
        "b": {"default": "y".repeat(100)}
    }}]));
    let file = write(dir.path(), "many.json", &many);
    diff(dir.path(), &["--upstream", path(&file)], None).could_not_run(NAME);
    let file = write(dir.path(), "chained.json", &chained);
    let run = diff(dir.path(), &[CURATED, path(&file)], None);
    run.could_not_run("with variable `b` replaced is longer than 1024 bytes (MAX_NAME_BYTES");

    // A base path is copied into every path; an in-scope path into every difference.
    let mut doc = swagger(json!({"type": "string"}), json!({}));
    doc["basePath"] = json!(format!("/{}", "b".repeat(2_000)));
    let file = write(dir.path(), "base.json", &doc);
    let run = diff(dir.path(), &["--upstream", path(&file)], None);
    run.could_not_run("a base path of 2001 bytes");
    let mut doc = swagger(json!({"type": "string"}), json!({}));
    let long = format!("/api/v2/external-auth/{}", "p".repeat(2_000));
    doc["paths"][long.as_str()] = doc["paths"]["/api/v2/external-auth"].clone();
    let file = write(dir.path(), "path.json", &doc);
    let run = diff(dir.path(), &["--upstream", path(&file)], None);
    run.could_not_run("a path of 2022 bytes");
}

#[test]
fn more_operations_than_the_limit_are_refused() {
    let dir = TempDir::new().unwrap();
    let mut doc = swagger(json!({"type": "string"}), json!({}));
    for i in 0..300 {
        doc["paths"][format!("/api/v2/external-auth/generated-{i}")] =
            json!({"get": {"responses": {}}});
    }
    let file = write(dir.path(), "operations.json", &doc);
    let run = diff(dir.path(), &["--upstream", path(&file)], None);
    run.could_not_run("more than 256 operations under /api/v2/external-auth (MAX_OPERATIONS");
}

#[test]
fn a_known_divergences_file_that_would_flood_the_report_is_refused() {
    let dir = TempDir::new().unwrap();
    // One entry, 2,000 locations, each of which would carry the 1 KiB reason into the report.
    let at: Vec<String> = (0..2_000)
        .map(|i| format!("GET /api/v2/external-auth 200 response body f{i}"))
        .collect();
    let known = write(
        dir.path(),
        "known.json",
        &json!({"divergences": [{"kind": "field_added", "at": at,
            "reason": "r".repeat(1024), "evidence": ["somewhere L1"]}]}),
    );
    let run = diff(
        dir.path(),
        &["--upstream", FIXTURE, "--known", path(&known)],
        None,
    );
    run.could_not_run("more than 1 MiB of report (MAX_DIFFERENCE_BYTES");
    assert!(run.stderr.contains(path(&known)), "{}", run.stderr);
}

#[test]
fn differences_beyond_the_text_budget_are_refused() {
    let dir = TempDir::new().unwrap();
    // 9,000 fields (inside the node budget) whose type changes between the two versions, each
    // with a 100-byte name: about 1.4 MiB of differences.
    let fields = |ty: &str| -> Value {
        let properties: serde_json::Map<_, _> = (0..9_000)
            .map(|i| (format!("{i:0>100}"), json!({"type": ty})))
            .collect();
        swagger(
            json!({"type": "object", "properties": properties}),
            json!({}),
        )
    };
    let old = write(dir.path(), "old.json", &fields("string"));
    let new = write(dir.path(), "new.json", &fields("integer"));
    let run = diff(dir.path(), &[path(&old), path(&new)], None);
    run.could_not_run(DIFFERENCES);
    assert!(
        run.stderr.contains(&format!(
            "cannot compare {} with {}",
            path(&old),
            path(&new)
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn only_regular_files_of_at_most_the_limit_are_read() {
    let dir = TempDir::new().unwrap();
    // A directory.
    let run = diff(dir.path(), &["--upstream", path(dir.path())], None);
    run.could_not_run("it is a directory");

    // A FIFO nobody writes to: opening it would block for ever.
    let fifo = dir.path().join("swagger.fifo");
    common::mkfifo(&fifo);
    for args in [
        vec!["--upstream", path(&fifo)],
        vec!["--upstream", FIXTURE, "--spec", path(&fifo)],
        vec!["--upstream", FIXTURE, "--known", path(&fifo)],
        vec![path(&fifo), CURATED],
    ] {
        let run = diff(dir.path(), &args, None);
        run.could_not_run("it is not a regular file (a FIFO, socket or device)");
        assert!(run.stderr.contains(path(&fifo)), "{}", run.stderr);
    }

    // A device that never ends.
    let run = diff(dir.path(), &["--upstream", "/dev/zero"], None);
    run.could_not_run("cannot read /dev/zero: it is not a regular file");

    // One byte over the limit (sparse: no disk is used), as each kind of input.
    let big = dir.path().join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(DOCUMENT_BYTES + 1)
        .unwrap();
    for args in [
        vec!["--upstream", path(&big)],
        vec!["--upstream", FIXTURE, "--spec", path(&big)],
        vec!["--upstream", FIXTURE, "--known", path(&big)],
        vec![CURATED, path(&big)],
    ] {
        let run = diff(dir.path(), &args, None);
        run.could_not_run(DOCUMENT);
        assert!(run.stderr.contains(path(&big)), "{}", run.stderr);
    }
}

#[test]
fn a_description_of_exactly_the_limit_is_read() {
    let dir = TempDir::new().unwrap();
    let mut text = std::fs::read_to_string(FIXTURE).unwrap();
    let padding = usize::try_from(DOCUMENT_BYTES).unwrap() - text.len();
    text.push_str(&" ".repeat(padding));
    let file = dir.path().join("padded.json");
    std::fs::write(&file, &text).unwrap();
    let run = diff(dir.path(), &["--upstream", path(&file)], None);
    run.ran();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

/// What a loopback server does with every request.
#[derive(Clone, Copy)]
enum Body {
    /// Chunked transfer encoding, chunks without end.
    EndlessChunks,
    /// No length at all: the body runs until the connection closes, which it never does.
    EndlessUntilClose,
    /// Declares a 2 GiB Content-Length, then streams spaces.
    DeclaredHuge,
    /// Declares a small Content-Length and sends a byte at a time, slowly, for ever.
    Trickle,
    /// A status line, then header lines without end.
    EndlessHead,
}

/// Serves `body` to every connection on a loopback port, each from its own thread, until the
/// client goes away.
fn serve(body: Body) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/swagger.json", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut head = [0u8; 4096];
                let _ = stream.read(&mut head);
                let _ = answer(&mut stream, body);
            });
        }
    });
    url
}

fn answer(stream: &mut impl Write, body: Body) -> std::io::Result<()> {
    let spaces = [b' '; 64 * 1024];
    match body {
        Body::EndlessChunks => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            loop {
                stream.write_all(format!("{:x}\r\n", spaces.len()).as_bytes())?;
                stream.write_all(&spaces)?;
                stream.write_all(b"\r\n")?;
            }
        }
        Body::EndlessUntilClose => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
            )?;
            loop {
                stream.write_all(&spaces)?;
            }
        }
        Body::DeclaredHuge => {
            stream.write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", 2u64 << 30).as_bytes())?;
            loop {
                stream.write_all(&spaces)?;
            }
        }
        Body::EndlessHead => {
            stream.write_all(b"HTTP/1.1 200 OK\r\n")?;
            let line = format!("X-Filler: {}\r\n", "a".repeat(1000));
            loop {
                stream.write_all(line.as_bytes())?;
            }
        }
        Body::Trickle => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
            )?;
            loop {
                std::thread::sleep(Duration::from_millis(100));
                stream.write_all(b" ")?;
            }
        }
    }
}

#[test]
fn endless_and_oversized_bodies_stop_at_the_limit() {
    let dir = TempDir::new().unwrap();
    for body in [
        Body::EndlessChunks,
        Body::EndlessUntilClose,
        Body::DeclaredHuge,
    ] {
        let url = serve(body);
        let run = diff(dir.path(), &["--upstream", &url], None);
        run.could_not_run(DOCUMENT);
        assert!(
            run.stderr.contains(&format!("cannot fetch {url}")),
            "{}",
            run.stderr
        );
        // Either side of two versions is fetched the same way.
        diff(dir.path(), &[CURATED, &url], None).could_not_run(DOCUMENT);
    }
}

#[test]
fn an_endless_head_is_refused_by_the_http_client() {
    // hyper's own limit on a response head (no constant of ours: it is the client's).
    let dir = TempDir::new().unwrap();
    let url = serve(Body::EndlessHead);
    let run = diff(dir.path(), &["--upstream", &url], None);
    run.could_not_run("message head is too large");
}

#[test]
fn json_nested_past_the_parser_limit_is_refused() {
    // serde_json stops at 128 levels, so neither parsing nor dropping the value recurses deeply.
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("nested.json");
    let depth = 1_000_000;
    let text = format!(
        r#"{{"swagger":"2.0","x":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    std::fs::write(&file, text).unwrap();
    let run = diff(dir.path(), &["--upstream", path(&file)], None);
    run.could_not_run("recursion limit exceeded");
}

#[test]
fn a_trickling_body_stops_at_the_timeout() {
    let dir = TempDir::new().unwrap();
    let url = serve(Body::Trickle);
    let run = diff(dir.path(), &["--upstream", &url, "--timeout", "1"], None);
    run.could_not_run("no complete answer within --timeout 1 s");
}

#[test]
fn memory_is_bounded_under_a_hard_address_space_limit() {
    let dir = TempDir::new().unwrap();
    let limit = Some(ADDRESS_SPACE_KIB);
    // The legitimate run fits.
    let run = diff(dir.path(), &["--upstream", FIXTURE], limit);
    run.ran();
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    // The fan-out of issue 14 (once past 3.7 GB) and an endless body (once past 4 GB) end in
    // exit 2, not in an allocation failure's abort.
    let file = write(dir.path(), "fan-out.json", &fan_out(24, 2, "properties"));
    diff(dir.path(), &["--upstream", path(&file)], limit).could_not_run(NODES);
    let url = serve(Body::EndlessChunks);
    diff(dir.path(), &["--upstream", &url], limit).could_not_run(DOCUMENT);

    // The costliest document the byte limit lets in, 8 MiB of empty objects (a parsed JSON
    // value is many times its text), still fits: it runs to a verdict.
    let mut text = String::from(r#"{"swagger":"2.0","x":{"#);
    let mut key = 0u32;
    while text.len() + 32 < usize::try_from(DOCUMENT_BYTES).unwrap() {
        text.push_str(&format!("\"{key:x}\":{{}},"));
        key += 1;
    }
    text.push_str("\"end\":{}}}");
    assert!(text.len() as u64 <= DOCUMENT_BYTES);
    let file = dir.path().join("objects.json");
    std::fs::write(&file, &text).unwrap();
    let run = diff(dir.path(), &["--upstream", path(&file)], limit);
    run.ran();
}
