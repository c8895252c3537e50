#!/usr/bin/env bash
# Speed of `hoist sbom` on the Debian minbase root (debootstrap --variant=minbase bookworm),
# as a directory and as a one-layer OCI image, warm (layers already in hoist's store):
#   bash benches/sbom.sh          # needs: cargo, hyperfine, debootstrap (first run only)
# The root and the image are the integration tests' cached fixtures under
# target/test-fixtures/; if they are missing this runs the test that makes them.
# Env: RUNS (default 30). Prints markdown (hyperfine tables) on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

fx=target/test-fixtures
if [[ ! -f $fx/debian-minbase-layout/.hoist-fixture-complete ]]; then
  echo "making the Debian fixtures (debootstrap, a few minutes)…" >&2
  cargo test --quiet --test it sbom::debian_image_matches_dir >&2
fi
[[ -f $fx/debian-minbase-layout/.hoist-fixture-complete ]] || {
  echo "no Debian fixture (see the test's skip reason above)" >&2
  exit 1
}
cargo build --release --quiet >&2
hoist=$PWD/target/release/hoist

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOIST_HOME=$home
image="oci:$PWD/$fx/debian-minbase-layout:minbase"
root="dir:$PWD/$fx/debian-minbase"
# Warm the store: copy the layer in and unpack it once.
"$hoist" sbom -q -f json "$image" >/dev/null
n=$("$hoist" sbom -q -f json "$image" | grep -c '"purl"')
echo "## hoist sbom, Debian 12 minbase ($n packages), warm"
echo
md="$home/result.md"
hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-markdown "$md" \
  "$hoist sbom -q -f json $image" \
  "$hoist sbom -q -f spdx-json $image" \
  "$hoist sbom -q -f cyclonedx-json $image" \
  "$hoist sbom -q -f json $root" >&2
cat "$md"
