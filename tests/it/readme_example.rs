//! The README's library example, built and run as a user would: a scratch crate whose
//! `[dependencies]` are exactly the lines the README shows (only the path to the crate points
//! at this checkout) and whose `main.rs` is exactly the example. A doc-test of this crate
//! cannot catch a missing feature or dependency line: it compiles with this crate's own
//! features and dev-dependencies. Built offline from this checkout's Cargo.lock, in a target
//! directory kept under `target/` so later runs only rebuild what changed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The heading of the README section the example lives in.
const SECTION: &str = "## Using the crate as a library";

/// The first fenced block of `language` after `SECTION`.
fn block<'a>(readme: &'a str, language: &str) -> &'a str {
    let section = &readme[readme.find(SECTION).expect("the README's library section")..];
    let fence = format!("```{language}\n");
    let start = section
        .find(&fence)
        .unwrap_or_else(|| panic!("no ```{language} block in {SECTION:?}"))
        + fence.len();
    let length = section[start..].find("```").expect("the block ends");
    &section[start..start + length]
}

/// The README's dependency lines with the crate's `path` or `git` source replaced by this
/// checkout; every other byte as the README has it.
fn dependencies(toml: &str, checkout: &Path) -> String {
    assert!(
        toml.trim_start().starts_with("[dependencies]"),
        "the README's toml block is a [dependencies] table:\n{toml}"
    );
    let mut out = String::new();
    let mut found = false;
    for line in toml.lines() {
        if let Some(spec) = line.strip_prefix("coder-external-auth = {") {
            found = true;
            // The crate is not on crates.io: a version alone is nothing a user can fetch.
            assert!(
                spec.contains("path =") || spec.contains("git ="),
                "the README's dependency names no path or git source: {line}"
            );
            let kept: Vec<&str> = spec
                .trim_end_matches('}')
                .split(',')
                .map(str::trim)
                .filter(|part| {
                    !["path", "git", "branch", "rev", "tag"]
                        .iter()
                        .any(|key| part.starts_with(&format!("{key} =")))
                })
                .filter(|part| !part.is_empty())
                .collect();
            let path = checkout.display().to_string().replace('\\', "/");
            out.push_str(&format!(
                "coder-external-auth = {{ path = \"{path}\", {} }}\n",
                kept.join(", ")
            ));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(
        found,
        "no `coder-external-auth = {{ … }}` line in the README's dependencies:\n{toml}"
    );
    out
}

fn scratch_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme-example")
}

#[test]
fn the_readme_library_example_builds_and_runs_with_exactly_its_dependency_lines() {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(checkout.join("README.md")).unwrap();
    let code = block(&readme, "rust");
    let toml = block(&readme, "toml");
    // Copy-paste must give the whole program: no rustdoc-hidden `# ` lines.
    for line in code.lines() {
        assert!(
            !(line.starts_with("# ") || line == "#"),
            "the README's example hides a line from the reader: {line:?}"
        );
    }

    let dir = scratch_dir();
    let crate_dir = dir.join("crate");
    std::fs::create_dir_all(crate_dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"readme-example\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         # Not part of any workspace above target/.\n[workspace]\n\n{}",
        dependencies(toml, checkout)
    );
    std::fs::write(crate_dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(crate_dir.join("src/main.rs"), code).unwrap();
    // The checkout's lock file: the same versions this crate is tested with, and nothing to
    // fetch (cargo drops what the scratch crate does not use).
    std::fs::copy(checkout.join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["run", "--offline", "--quiet", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the README's example with exactly its dependency lines failed:\n{stderr}\n{stdout}"
    );
    // What the example prints, against the imitation's default deployment.
    assert!(stdout.contains("github (device flow: true)"), "{stdout}");
    assert!(stdout.contains("linked as "), "{stdout}");
}

#[test]
fn a_dependency_line_is_pointed_at_the_checkout_and_nothing_else_changes() {
    let toml = "[dependencies]\n\
        coder-external-auth = { git = \"https://example.com/x\", branch = \"main\", default-features = false, features = [\"tls\"] }\n\
        tokio = { version = \"1\", features = [\"macros\"] }\n";
    let out = dependencies(toml, Path::new("/src/here"));
    assert_eq!(
        out,
        "[dependencies]\n\
         coder-external-auth = { path = \"/src/here\", default-features = false, features = [\"tls\"] }\n\
         tokio = { version = \"1\", features = [\"macros\"] }\n"
    );
}
