//! The integration tests, one binary: one module per area (so a change relinks one test
//! binary, not eighteen). `support` starts real registries and token servers on loopback;
//! `oci_fixtures` builds small images with hoist's own layer writer.

mod build;
mod build_cache;
mod build_out;
mod build_perf;
mod build_support;
mod buildfs;
mod cli_lint;
mod config;
mod conformance_parser;
mod conformance_shell;
mod core_corpus;
mod corpus;
mod instr_rules_corpus;
mod oci_cli;
mod oci_fixtures;
mod oci_layers;
mod oci_store;
mod oci_transports;
mod output;
mod registry;
mod rule_docs;
mod sandbox;
mod sbom;
mod sbom_fixtures;
mod scan;
mod shell_rules_corpus;
mod shellcheck;
mod sign;
mod sign_oracle;
mod support;
