//! Generates the typed client from the curated OpenAPI document:
//! spec -> progenitor (positional interface) -> prettyplease -> `$OUT_DIR/generated_client.rs`.

use std::{env, fs, path::PathBuf};

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};

const SPEC: &str = "openapi/coder-external-auth.json";

fn main() {
    println!("cargo::rerun-if-changed={SPEC}");
    // The conformance binary compiles in the accepted snapshots (include_dir, a proc macro
    // cargo cannot track): a changed snapshot must rebuild it too.
    println!("cargo::rerun-if-changed=snapshots");

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
        .with_derive("PartialEq");
    // Feature `schemars`: cargo tells build scripts which features are on.
    if env::var_os("CARGO_FEATURE_SCHEMARS").is_some() {
        settings.with_derive("schemars::JsonSchema");
    }

    let tokens = Generator::new(&settings)
        .generate_tokens(&spec)
        .unwrap_or_else(|err| panic!("progenitor rejected {SPEC}: {err}"));
    let file: syn::File = syn::parse2(tokens).expect("progenitor emits valid Rust");
    let code = prettyplease::unparse(&file);

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("generated_client.rs"), code).expect("write $OUT_DIR/generated_client.rs");
}
