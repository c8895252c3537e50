//! Configuration edge cases through the library API: file formats, discovery order, layering of
//! config file, environment and command line.

use std::fs;
use std::path::Path;

use hoist::lint::config::{
    env_layer, load_dir, load_file, parse_hadolint_yaml, parse_toml, Accumulator, ConfigError,
    ConfigLayer, Level, Resolver, Threshold,
};
use hoist::lint::Severity;

fn no_env() -> ConfigLayer {
    env_layer(&|_| None).expect("empty environment")
}

#[test]
fn empty_files_are_valid() {
    assert_eq!(
        parse_toml(Path::new(".hoist.toml"), "").unwrap(),
        ConfigLayer::default()
    );
    assert_eq!(
        parse_hadolint_yaml(Path::new(".hadolint.yaml"), "# only a comment\n").unwrap(),
        ConfigLayer::default()
    );
}

#[test]
fn toml_unknown_keys_anywhere_at_top_level_are_errors() {
    for text in [
        "trustedRegistries = []\n",
        "[overrides]\nDL3006 = \"error\"\n",
        "colour = true\n",
    ] {
        let e = parse_toml(Path::new("proj/.hoist.toml"), text).unwrap_err();
        match &e {
            ConfigError::UnknownKey { path, .. } => assert_eq!(path, Path::new("proj/.hoist.toml")),
            other => panic!("{text:?}: {other:?}"),
        }
        assert!(e.to_string().contains("proj/.hoist.toml"));
    }
}

#[test]
fn toml_list_keys_accept_a_comma_string() {
    let l = parse_toml(Path::new("c.toml"), "ignore = \"DL3006, DL3008\"\n").unwrap();
    assert_eq!(l.ignore, vec!["DL3006", "DL3008"]);
}

#[test]
fn toml_threshold_none_and_level_case() {
    let l = parse_toml(Path::new("c.toml"), "failure-threshold = \"NONE\"\n").unwrap();
    assert_eq!(l.failure_threshold, Some(Threshold::Never));
    let l = parse_toml(Path::new("c.toml"), "[override]\nDL3006 = \"Error\"\n").unwrap();
    assert_eq!(
        l.levels,
        vec![("DL3006".to_string(), Level::Set(Severity::Error))]
    );
}

#[test]
fn yaml_tolerates_unknown_and_output_keys_but_not_bad_values() {
    let l = parse_hadolint_yaml(
        Path::new(".hadolint.yaml"),
        "format: sarif\noutput-format: json\nverbose: false\nno-color: true\nsomething-new: 1\nignored: [DL3006]\n",
    )
    .unwrap();
    assert_eq!(l.ignore, vec!["DL3006"]);
    // A key hadolint and hoist do not know is a warning naming the file and the key.
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    assert!(l.warnings[0].starts_with(".hadolint.yaml: unknown key `something-new`"));
    let e =
        parse_hadolint_yaml(Path::new(".hadolint.yaml"), "failure-threshold: fatal\n").unwrap_err();
    assert!(
        matches!(e, ConfigError::Invalid { ref key, .. } if key == "failure-threshold"),
        "{e}"
    );
    let e = parse_hadolint_yaml(Path::new(".hadolint.yaml"), "override:\n  loud: [DL3006]\n")
        .unwrap_err();
    assert!(matches!(e, ConfigError::Invalid { .. }));
    let e = parse_hadolint_yaml(Path::new(".hadolint.yaml"), "ignored: [DL3006\n").unwrap_err();
    assert!(matches!(e, ConfigError::Yaml { .. }));
}

#[test]
fn load_file_chooses_format_by_extension() {
    let d = tempfile::tempdir().unwrap();
    let yml = d.path().join("lint.yml");
    fs::write(&yml, "ignored: [DL3006]\n").unwrap();
    assert_eq!(load_file(&yml).unwrap().ignore, vec!["DL3006"]);
    let toml = d.path().join("lint.toml");
    fs::write(&toml, "ignore = [\"DL3007\"]\n").unwrap();
    assert_eq!(load_file(&toml).unwrap().ignore, vec!["DL3007"]);
    let other = d.path().join("lint.conf");
    fs::write(&other, "").unwrap();
    assert!(matches!(
        load_file(&other),
        Err(ConfigError::UnknownFormat { .. })
    ));
    assert!(matches!(
        load_file(&d.path().join("gone.toml")),
        Err(ConfigError::Missing { .. })
    ));
}

#[test]
fn both_files_in_one_directory_hoist_on_top() {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join(".hadolint.yml"),
        "failure-threshold: error\nignored: [DL3006]\nstrict-labels: true\n",
    )
    .unwrap();
    fs::write(
        d.path().join(".hoist.toml"),
        "failure-threshold = \"style\"\nignore = [\"DL3007\"]\n",
    )
    .unwrap();
    let layers = load_dir(d.path()).unwrap();
    assert_eq!(layers.len(), 2, "the hadolint file, then .hoist.toml");
    let mut acc = Accumulator::new();
    for l in &layers {
        acc.apply(l);
    }
    let o = acc.finish();
    assert_eq!(o.failure_threshold, Severity::Style);
    assert_eq!(o.ignored, vec!["DL3006", "DL3007"]);
    assert!(o.strict_labels);
    assert!(load_dir(&d.path().join("nothing-here")).unwrap().is_empty());
}

#[test]
fn resolver_layers_file_env_and_cli_and_sets_context() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir_all(d.path().join("svc")).unwrap();
    fs::write(
        d.path().join(".hoist.toml"),
        "failure-threshold = \"error\"\nignore = [\"DL3006\"]\n[build-args]\nV = \"1\"\n",
    )
    .unwrap();
    let env = env_layer(&|k| (k == "HADOLINT_NOFAIL").then(|| "true".to_string())).unwrap();
    let cli = ConfigLayer {
        failure_threshold: Some(Threshold::Level(Severity::Warning)),
        enable: vec!["DL3006".into()],
        ..ConfigLayer::default()
    };
    let r = Resolver::new(None, env, cli).unwrap();
    let file = d.path().join("svc/Dockerfile");
    let o = r.options_for(Some(&file), d.path()).unwrap();
    assert_eq!(o.failure_threshold, Severity::Warning);
    assert!(o.no_fail);
    assert!(
        o.ignored.is_empty(),
        "--enable undoes the file's ignore: {:?}",
        o.ignored
    );
    assert_eq!(o.build_args.as_ref().map(|b| b["V"].as_str()), Some("1"));
    assert_eq!(
        o.context_dir.as_deref(),
        Some(d.path().join("svc").as_path())
    );
    // Stdin: discovery from the given directory, no default context.
    let o = r.options_for(None, d.path()).unwrap();
    assert_eq!(o.context_dir, None);
    assert_eq!(o.failure_threshold, Severity::Warning);
}

#[test]
fn explicit_config_skips_discovery_and_errors_are_cached_per_directory() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join(".hoist.toml"), "bogus = 1\n").unwrap();
    let r = Resolver::new(None, no_env(), ConfigLayer::default()).unwrap();
    let file = d.path().join("Dockerfile");
    assert!(r.options_for(Some(&file), d.path()).is_err());
    assert!(r.options_for(Some(&file), d.path()).is_err());
    let explicit = d.path().join("ok.toml");
    fs::write(&explicit, "ignore = [\"DL3006\"]\n").unwrap();
    let r = Resolver::new(Some(&explicit), no_env(), ConfigLayer::default()).unwrap();
    let o = r.options_for(Some(&file), d.path()).unwrap();
    assert_eq!(o.ignored, vec!["DL3006"]);
}

#[test]
fn env_bad_threshold_is_an_error_naming_the_variable() {
    let e = env_layer(&|k| (k == "HADOLINT_FAILURE_THRESHOLD").then(|| "loud".to_string()))
        .unwrap_err();
    assert!(e.to_string().contains("HADOLINT_FAILURE_THRESHOLD"));
    assert!(e.hint().is_some());
}

#[test]
fn yaml_unknown_key_warnings_are_reported_once_per_file() {
    // Through discovery: reported once per file, however many Dockerfiles it covers.
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join(".hadolint.yaml"), "strict-lables: true\n").unwrap();
    let r = Resolver::new(None, no_env(), ConfigLayer::default()).unwrap();
    for name in ["a/Dockerfile", "b/Dockerfile", "Dockerfile"] {
        r.options_for(Some(&d.path().join(name)), d.path()).unwrap();
    }
    let w = r.take_warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("strict-lables"));
    assert!(r.take_warnings().is_empty());
}

#[test]
fn both_override_shapes_read_in_both_formats_with_key_paths_in_errors() {
    let toml = "[override]\nwarning = [\"DL3006\"]\nDL3007 = \"style\"\n";
    let yaml = "override:\n  warning: [DL3006]\n  DL3007: style\n";
    let want = vec![
        ("DL3006".to_string(), Level::Set(Severity::Warning)),
        ("DL3007".to_string(), Level::Set(Severity::Style)),
    ];
    for read in [
        parse_toml(Path::new("c.toml"), toml),
        parse_hadolint_yaml(Path::new("c.yaml"), yaml),
    ] {
        let mut levels = read.expect("valid override table").levels;
        levels.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(levels, want);
    }
    let e =
        parse_hadolint_yaml(Path::new("c.yaml"), "label-schema:\n  author: colour\n").unwrap_err();
    assert!(
        matches!(&e, ConfigError::Invalid { key, .. } if key == "label-schema.author"),
        "{e}"
    );
    assert!(e.to_string().contains("colour"), "{e}");
}
