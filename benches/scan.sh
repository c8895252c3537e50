#!/usr/bin/env bash
# `hoist scan` throughput on a generated image (benches/scan_gen.py: 4 gzip layers of mixed
# text and binary, ~400 MB uncompressed, two planted secrets), packed once with GNU tar and
# gzip into an OCI layout (never with hoist) and cached:
#   bash benches/scan.sh        # needs: cargo, python3, tar, gzip, hyperfine
# Env: BENCH_DIR (cache, default /tmp/hoist-scan-bench), LAYERS (4), MB (100 per layer),
#      RUNS (5).
# The image is pulled into a private store first, so the runs measure the scan (decompress,
# walk, match) and not the copy. Prints markdown on stdout: hyperfine's table and the
# throughput in MB/s of uncompressed layer data.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
B=${BENCH_DIR:-/tmp/hoist-scan-bench}
LAYERS=${LAYERS:-4}
MB=${MB:-100}
RUNS=${RUNS:-5}
img="$B/img-$LAYERS-$MB"

for tool in python3 tar gzip hyperfine; do
  command -v "$tool" >/dev/null || { echo "benches/scan.sh needs $tool" >&2; exit 2; }
done

(cd "$root" && cargo build --release --quiet) >&2
hoist="$root/target/release/hoist"

if [[ ! -f "$img/img/index.json" ]]; then
  echo "generating $LAYERS x $MB MB of files…" >&2
  rm -rf "$img"
  python3 "$here/scan_gen.py" "$img" "$LAYERS" "$MB"
fi
img="$img/img"

store="$B/store"
rm -rf "$store"
# Warm: copy into the store (exit 1: the planted secrets are found).
summary=$("$hoist" scan --store "$store" -q "oci:$img:v1" | tail -n 1 || true)
echo "hoist: $summary" >&2
mb=$(sed -n 's/.* \([0-9.]*\) MB read.*/\1/p' <<<"$summary")

json="$B/hyperfine.json"
echo "## hoist scan: $LAYERS gzip layers, $mb MB of file content"
echo
hyperfine --style basic --warmup 1 --runs "$RUNS" -i --export-json "$json" --export-markdown /dev/stdout \
  "$hoist scan --store $store -q --format json oci:$img:v1" 2>/dev/null
mean=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['mean'])" "$json")
echo
python3 -c "import sys; mb, s = float(sys.argv[1]), float(sys.argv[2]); print(f'throughput: {mb / s:.0f} MB/s ({mb:.0f} MB in {s:.2f} s, {sys.argv[3]} cores)')" "$mb" "$mean" "$(nproc)"
