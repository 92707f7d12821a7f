//! Every integration test in one binary (the crate is linked once, not once per file): each
//! module is one former `tests/<name>.rs`, `common/` the helpers they share. Run one module
//! with `cargo test --test it <module>::`.

mod common;

mod client_decode;
mod client_http;
mod client_tls;
mod conformance_baseline;
mod conformance_check;
mod conformance_cli;
mod conformance_coverage;
mod conformance_har_proxy;
mod conformance_releases;
mod conformance_sarif;
mod conformance_spec;
mod device_flow_live;
mod diff;
mod diff_limits;
mod faults;
mod golden_outputs;
mod hardening;
mod hints;
mod honest_verdicts;
mod imitation_agent;
mod imitation_control_http;
mod imitation_device;
mod imitation_hardening;
mod imitation_http;
mod imitation_load;
mod imitation_release;
mod imitation_releases;
mod imitation_serve_limits;
mod module_graph;
mod node_client;
mod patience;
mod readme_example;
mod release_fixtures;
