//! Criterion benchmarks of the front end and the linter on the real-world corpus
//! (`testdata/corpus`): parse only, and parse + every default rule, per file.
//!
//! Run: `cargo bench --bench lint`. The side-by-side comparison with hadolint is
//! `benches/compare.sh`; results of both are recorded in BENCHMARKS.md.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hoist::dockerfile;
use hoist::lint::{config::LintOptions, lint_source};

fn corpus() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("Dockerfile"))
            {
                if let Ok(text) = std::fs::read_to_string(&p) {
                    out.push((p, text));
                }
            }
        }
    }
    out.sort();
    out
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    assert!(!files.is_empty(), "testdata/corpus is missing");
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Elements(files.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for (_, text) in &files {
                std::hint::black_box(dockerfile::parse(text));
            }
        })
    });
    let options = LintOptions::default();
    g.bench_function("lint", |b| {
        b.iter(|| {
            for (path, text) in &files {
                std::hint::black_box(lint_source(path, text, &options));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
