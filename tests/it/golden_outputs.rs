//! What a user reads, reviewed as a diff: the embedded run's human report, JSON report, JUnit
//! report, SARIF log, GitHub annotations and job summary, each with times and ports
//! normalised, held as golden files (tests/it/snapshots/it__golden_outputs__*.snap). A change to any
//! of them shows in review; `INSTA_UPDATE=always cargo test --test it golden_outputs::` accepts it.

use crate::common;

use common::binary;

/// Times and ports vary from run to run; everything else must not.
fn normalised(text: &str) -> String {
    let patterns = [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        (r"\d+(\.\d+)? ms", "N ms"),
        (r#""elapsed_ms": [0-9.e+-]+"#, r#""elapsed_ms": 0"#),
        (r#"time="[0-9.]+""#, r#"time="0""#),
        (r#"timestamp="[^"]+""#, r#"timestamp="T""#),
        (r#""(start|end)TimeUtc": "[^"]+""#, r#""${1}TimeUtc": "T""#),
    ];
    let mut text = text.to_owned();
    for (pattern, replacement) in patterns {
        text = regex::Regex::new(pattern)
            .unwrap()
            .replace_all(&text, replacement)
            .into_owned();
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn every_output_of_the_embedded_run_is_as_reviewed() {
    let dir = binary::snapshot_copy();
    let summary = dir.path().join("summary.md");
    let summary_env = summary.display().to_string();
    let run = binary::run(
        &["check"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", &summary_env),
        ],
        dir,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = std::fs::read_to_string(run.dir.path().join("summary.md")).unwrap();
    // The snapshot directory's path is a temporary one.
    let snapshots = run.snapshots().display().to_string();
    let json = serde_json::to_string_pretty(&run.json)
        .unwrap()
        .replace(&snapshots, "SNAPSHOTS");
    insta::assert_snapshot!(
        "human",
        normalised(&run.stderr).replace(&snapshots, "SNAPSHOTS")
    );
    insta::assert_snapshot!("json", normalised(&json));
    insta::assert_snapshot!("junit", normalised(&run.junit));
    insta::assert_snapshot!(
        "sarif",
        normalised(&run.sarif).replace(&snapshots, "SNAPSHOTS")
    );
    insta::assert_snapshot!("annotations", normalised(&run.stdout));
    insta::assert_snapshot!(
        "summary",
        normalised(&summary).replace(&snapshots, "SNAPSHOTS")
    );
}
