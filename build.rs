//! The typed client comes from the curated OpenAPI document: spec -> progenitor (positional
//! interface) -> prettyplease -> `src/generated_client.rs`. That file is checked in, so a crate
//! that depends on this one compiles no generator (progenitor and its parsers are about 15 s of
//! a clean build on two cores). With feature `regenerate` this script generates it again into
//! `$OUT_DIR/generated_client.rs`, where a test (run in CI) holds the checked-in copy to it;
//! `REGENERATE_CLIENT=write` also writes it over `src/generated_client.rs`.

fn main() {
    // The conformance binary compiles in the accepted snapshots (include_dir, a proc macro
    // cargo cannot track): a changed snapshot must rebuild it too.
    println!("cargo::rerun-if-changed=snapshots");
    #[cfg(feature = "regenerate")]
    regenerate::run();
}

#[cfg(feature = "regenerate")]
mod regenerate {
    use std::{env, fs, path::PathBuf};

    use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};

    const SPEC: &str = "openapi/coder-external-auth.json";
    const CHECKED_IN: &str = "src/generated_client.rs";
    /// Every generated type derives it; the crate's feature `schemars` decides, not the
    /// generator, so one checked-in file serves builds with and without the feature.
    const SCHEMARS_DERIVE: &str = "schemars::JsonSchema";

    pub fn run() {
        println!("cargo::rerun-if-changed={SPEC}");
        println!("cargo::rerun-if-env-changed=REGENERATE_CLIENT");

        let file = fs::File::open(SPEC).unwrap_or_else(|err| panic!("cannot open {SPEC}: {err}"));
        let spec: openapiv3::OpenAPI = serde_json::from_reader(file)
            .unwrap_or_else(|err| panic!("{SPEC} is not an OpenAPI 3.0 document: {err}"));

        let mut settings = GenerationSettings::default();
        settings
            // Positional: a newly required parameter becomes a compile error at every call site.
            .with_interface(InterfaceStyle::Positional)
            // Positional with Separate tags is unimplemented in progenitor 0.15.
            .with_tag(TagStyle::Merged)
            // Per-client state the request hooks read: the token, a time budget, the capture.
            .with_inner_type("crate::client::ClientState".parse().expect("a Rust path"))
            .with_derive("PartialEq")
            .with_derive(SCHEMARS_DERIVE);

        let tokens = Generator::new(&settings)
            .generate_tokens(&spec)
            .unwrap_or_else(|err| panic!("progenitor rejected {SPEC}: {err}"));
        let file: syn::File = syn::parse2(tokens).expect("progenitor emits valid Rust");
        let code = schemars_behind_its_feature(&prettyplease::unparse(&file));

        let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
        fs::write(out.join("generated_client.rs"), &code)
            .expect("write $OUT_DIR/generated_client.rs");
        if env::var("REGENERATE_CLIENT").as_deref() == Ok("write") {
            fs::write(CHECKED_IN, &code).unwrap_or_else(|err| panic!("write {CHECKED_IN}: {err}"));
        }
    }

    /// Moves the `JsonSchema` derive out of each `#[derive(...)]` into a
    /// `#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]` beside it.
    fn schemars_behind_its_feature(code: &str) -> String {
        let mut out = String::with_capacity(code.len());
        let mut in_derive = false;
        let mut had_schemars = false;
        for line in code.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with("#[derive(") {
                in_derive = true;
                had_schemars = false;
            }
            if in_derive && trimmed.trim_end_matches(',') == SCHEMARS_DERIVE {
                had_schemars = true;
                // The derive before it loses its trailing comma only if it was the last one.
                continue;
            }
            let line = if in_derive && trimmed.contains(SCHEMARS_DERIVE) {
                had_schemars = true;
                line.replace(&format!(", {SCHEMARS_DERIVE}"), "")
            } else {
                line.to_owned()
            };
            out.push_str(&line);
            out.push('\n');
            if in_derive && trimmed.ends_with(")]") {
                in_derive = false;
                if had_schemars {
                    let indent = &line[..line.len() - line.trim_start().len()];
                    out.push_str(&format!(
                        "{indent}#[cfg_attr(feature = \"schemars\", derive({SCHEMARS_DERIVE}))]\n"
                    ));
                }
            }
        }
        assert!(
            !out.contains(&format!(", {SCHEMARS_DERIVE}"))
                && !out.contains(&format!("{SCHEMARS_DERIVE},")),
            "a JsonSchema derive was left in place: the rewrite needs a new case"
        );
        out
    }
}
