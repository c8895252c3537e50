//! Conformance of the variable engine with BuildKit's own shell-lexer test data
//! (`frontend/dockerfile/shell/envVarTest` and `wordsTest`), read the way BuildKit's tests read
//! them. Every applicable line must pass; failures are collected and reported together.

use std::collections::HashMap;

use hoist::dockerfile::expand::Lexer;

fn data(name: &str) -> String {
    let path = format!(
        "{}/testdata/conformance/buildkit/shell/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// `KEY=value` entries into a map; a later entry for the same key wins, an entry without `=`
/// is set to the empty string (BuildKit's BuildEnvs).
fn build_envs(entries: &[String]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for e in entries {
        match e.split_once('=') {
            Some((k, v)) => map.insert(k.to_string(), v.to_string()),
            None => map.insert(e.clone(), String::new()),
        };
    }
    map
}

#[test]
fn env_var_test() {
    let text = data("envVarTest");
    let env = build_envs(&[
        "PWD=/home".to_string(),
        "SHELL=bash".to_string(),
        "KOREAN=한국어".to_string(),
        "NULL=".to_string(),
    ]);
    let lexer = Lexer::new('\\');
    let mut failures = Vec::new();
    let mut checked = 0;
    for (n, raw) in text.lines().enumerate() {
        let lineno = n + 1;
        if raw.starts_with('#') {
            continue;
        }
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('|').collect();
        assert_eq!(parts.len(), 3, "line {lineno} is malformed: {line:?}");
        let (platform, source, expected) = (parts[0].trim(), parts[1].trim(), parts[2].trim());
        assert!(
            matches!(platform, "A" | "U" | "W"),
            "line {lineno}: bad platform tag {platform:?}"
        );
        if platform == "W" {
            continue;
        }
        checked += 1;
        let got = lexer.process_word(source, &env);
        match (expected, got) {
            ("error", Ok(v)) => failures.push(format!(
                "line {lineno}: {source:?} expected an error, got {:?}",
                v.value
            )),
            ("error", Err(_)) => {}
            (_, Err(e)) => failures.push(format!(
                "line {lineno}: {source:?} expected {expected:?}, got error {e}"
            )),
            (_, Ok(v)) if v.value != expected => failures.push(format!(
                "line {lineno}: {source:?} expected {expected:?}, got {:?}",
                v.value
            )),
            _ => {}
        }
    }
    assert!(checked > 200, "only {checked} cases were read");
    assert!(
        failures.is_empty(),
        "{} failing lines:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn words_test() {
    let text = data("wordsTest");
    let lexer = Lexer::new('\\');
    let mut envs: Vec<String> = Vec::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (n, line) in text.lines().enumerate() {
        let lineno = n + 1;
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("ENV ") {
            envs.push(rest.trim_start_matches(' ').to_string());
            continue;
        }
        let parts: Vec<&str> = line.split('|').collect();
        assert_eq!(
            parts.len(),
            2,
            "line {lineno} should have exactly one |: {line:?}"
        );
        let input = parts[0].trim();
        let expected: Vec<String> = parts[1]
            .trim_start_matches(' ')
            .split(',')
            .map(str::to_string)
            .collect();
        let env = build_envs(&envs);
        let got = lexer
            .process_words(input, &env)
            .unwrap_or_else(|_| vec!["error".to_string()]);
        checked += 1;
        if got != expected {
            failures.push(format!(
                "line {lineno}: {input:?} expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(checked > 20, "only {checked} cases were read");
    assert!(
        failures.is_empty(),
        "{} failing lines:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
