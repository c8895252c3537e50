#!/usr/bin/env bash
# hoist push/pull vs skopeo against a local registry (Debian's docker-registry, distribution
# 2.8), loopback only, in one run:
#   bash benches/registry.sh            # needs: cargo, docker-registry, skopeo, umoci,
#                                       #        hyperfine, curl, /usr/bin/time (apt: time)
# Env: BUILD_ONLY=1 (only build the cached images), BENCH_DIR (cache + scratch, default /tmp/hoist-registry-bench), RUNS (default 3),
#      SMALL=1 (10 MB layers and a 64 MB big layer, to debug the script quickly),
#      BENCH_TIMEOUT (seconds for the whole run, default 2400).
# Images are built once with umoci / by hand (never with hoist) and cached in BENCH_DIR.
# Every registry this script starts is stopped on exit (by pid), also on error or timeout.
# Prints markdown (tables from hyperfine) on stdout; progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
B=${BENCH_DIR:-/tmp/hoist-registry-bench}
state="$B/state"

# --- registry control (also used by hyperfine --prepare through `registry.sh _restart`) -----

reg_stop() {
  if [[ -f "$state/pid" ]]; then
    local pid
    pid=$(cat "$state/pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$state/pid"
  fi
}

# Start a registry on $state/port with an empty (wiped) storage root and an access log.
reg_start_fresh() {
  reg_stop
  local port root
  port=$(cat "$state/port")
  root="$state/root"
  rm -rf "$root"
  mkdir -p "$root"
  cat >"$state/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $root
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  # The access log (one line per request, combined format) goes to stdout.
  /usr/bin/docker-registry serve "$state/config.yml" </dev/null >>"$state/access.log" 2>>"$state/registry.err" &
  echo $! >"$state/pid"
  for _ in $(seq 200); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "registry did not start; see $state/registry.err" >&2
  return 1
}

if [[ "${1:-}" == _restart ]]; then
  reg_start_fresh
  exit 0
fi

# --- main ----------------------------------------------------------------------------------

if [[ -z "${HOIST_BENCH_TIMED:-}" ]]; then
  # Bound the whole run; the EXIT/TERM trap below stops the registry either way.
  export HOIST_BENCH_TIMED=1
  exec timeout --signal=TERM --kill-after=30 "${BENCH_TIMEOUT:-2400}" bash "$self" "$@"
fi

for t in cargo hyperfine skopeo umoci curl sha256sum /usr/bin/docker-registry /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 2; }
done

RUNS=${RUNS:-3}
if [[ -n "${SMALL:-}" ]]; then
  LAYER_MB=10 BIG_MB=64 IMG="$B/img-small" BIG="$B/big-small"
else
  LAYER_MB=100 BIG_MB=2048 IMG="$B/img300" BIG="$B/big2g"
fi
mkdir -p "$B" "$state"
rm -f "$state/access.log" "$state/registry.err"

cleanup() {
  reg_stop
  rm -rf "$state/root" "$B/out" "$B/tmp"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

cd "$here/.."
cargo build --release --quiet
hoist="$PWD/target/release/hoist"
log() { echo "[$(date +%T)] $*" >&2; }

# Free loopback port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "$port" >"$state/port"
R="127.0.0.1:$port"

# 1. The three-layer image: three layers of incompressible random data (umoci gzips them).
if [[ ! -f "$IMG/.done" ]]; then
  log "building $IMG (3 x $LAYER_MB MB random layers, umoci)"
  rm -rf "$IMG" "$B/build"
  mkdir -p "$B/build"
  umoci init --layout "$IMG"
  umoci new --image "$IMG:bench"
  for i in 1 2 3; do
    mkdir -p "$B/build/l$i"
    head -c "$((LAYER_MB * 1024 * 1024))" /dev/urandom >"$B/build/l$i/data$i.bin"
    tar -cf "$B/build/l$i.tar" -C "$B/build/l$i" .
    umoci raw add-layer --image "$IMG:bench" "$B/build/l$i.tar"
  done
  umoci gc --layout "$IMG"
  rm -rf "$B/build"
  touch "$IMG/.done"
fi

# The one-layer image: a BIG_MB file of zeros in an *uncompressed* tar layer, so the blob on
# the wire and on disk really is that large. Built by hand (tar, sha256sum, printf).
if [[ ! -f "$BIG/.done" ]]; then
  log "building $BIG (one uncompressed $BIG_MB MB layer of zeros)"
  rm -rf "$BIG" "$B/build"
  mkdir -p "$BIG/blobs/sha256" "$B/build/d"
  truncate -s "${BIG_MB}M" "$B/build/d/zeros.bin"
  tar -cf "$B/build/layer.tar" -C "$B/build/d" zeros.bin
  ld=$(sha256sum "$B/build/layer.tar" | cut -d' ' -f1)
  ls=$(stat -c %s "$B/build/layer.tar")
  mv "$B/build/layer.tar" "$BIG/blobs/sha256/$ld"
  put() { # put FILE -> prints "digest size"
    local d s
    d=$(sha256sum "$1" | cut -d' ' -f1)
    s=$(stat -c %s "$1")
    mv "$1" "$BIG/blobs/sha256/$d"
    echo "$d $s"
  }
  printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$ld" >"$B/build/config.json"
  read -r cd cs < <(put "$B/build/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' "$cd" "$cs" "$ld" "$ls" >"$B/build/manifest.json"
  read -r md ms < <(put "$B/build/manifest.json")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' "$md" "$ms" >"$BIG/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$BIG/oci-layout"
  rm -rf "$B/build"
  touch "$BIG/.done"
fi

[[ -n "${BUILD_ONLY:-}" ]] && { log "images ready"; exit 0; }

restart="bash $self _restart"
md=$(mktemp)
OUT="$B/out"
mkdir -p "$B/tmp"
export TMPDIR="$B/tmp"   # hoist's and skopeo's temporary files, same disk as everything else

img_bytes=$(find "$IMG/blobs" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.0f\n", s}')
big_bytes=$(find "$BIG/blobs" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.0f\n", s}')

echo "## Registry: push and pull vs skopeo"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores ($(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')), $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr)"
echo "- hoist $($hoist --version | awk '{print $NF}') (release build, $(git rev-parse --short HEAD 2>/dev/null || echo '?') + working tree); $(skopeo --version); $(/usr/bin/docker-registry --version | sed 's/^docker-registry //'); hyperfine $(hyperfine --version | awk '{print $2}')"
echo "- images: \`$IMG\` = 3 gzip layers of random data built with umoci, $img_bytes bytes of blobs;"
echo "  \`$BIG\` = 1 uncompressed tar layer holding a file of zeros, $big_bytes bytes of blobs"
echo "- registry: \`docker-registry serve\` on $R, filesystem storage under $B, access log on"
echo

# 2. Push into a fresh registry (prepare: stop, wipe storage, start).
log "push into a fresh registry"
hyperfine -N --runs "$RUNS" --style none --export-markdown "$md" \
  --prepare "$restart" -n "hoist push" "$hoist push -q oci:$IMG:bench $R/bench/img:1" \
  --prepare "$restart" -n "skopeo copy" "skopeo copy -q --dest-tls-verify=false oci:$IMG:bench docker://$R/bench/img:1" \
  >&2
echo "### Push ${img_bytes} bytes (3 layers) into an empty registry ($RUNS runs each)"
echo
echo '```'
echo "prepare: stop registry, rm -rf its storage root, start it again"
echo "$hoist push -q oci:$IMG:bench $R/bench/img:1"
echo "skopeo copy -q --dest-tls-verify=false oci:$IMG:bench docker://$R/bench/img:1"
echo '```'
echo
cat "$md"
echo

# 3. Second push of the unchanged image: count blob upload requests in the access log.
log "second push (unchanged image)"
$restart
$hoist push -q "oci:$IMG:bench" "$R/bench/img:1" >/dev/null
count_requests() { # count_requests FROM_LINE -> "uploads heads"
  local from=$1
  tail -n "+$((from + 1))" "$state/access.log" | awk '
    /"(POST|PATCH|PUT) \/v2\/[^ ]*\/blobs\/uploads/ {u++}
    /"HEAD \/v2\/[^ ]*\/blobs\/sha256:/ {h++}
    END {printf "%d %d\n", u, h}'
}
echo "### Second push of the unchanged image ($((RUNS * 3)) runs each, 1 warm-up)"
echo
echo "Blob upload requests are counted in the registry's access log (lines \`POST|PATCH|PUT /v2/…/blobs/uploads…\`) around one push of each tool into a registry that already holds the image:"
echo
echo "| tool | blob upload requests | blob HEAD requests |"
echo "|:--|--:|--:|"
for tool in hoist skopeo; do
  before=$(wc -l <"$state/access.log")
  if [[ $tool == hoist ]]; then
    $hoist push -q "oci:$IMG:bench" "$R/bench/img:1" >/dev/null
  else
    skopeo copy -q --dest-tls-verify=false "oci:$IMG:bench" "docker://$R/bench/img:1"
  fi
  sleep 0.3
  read -r up heads < <(count_requests "$before")
  echo "| $tool | $up | $heads |"
done
echo
hyperfine -N --runs "$((RUNS * 3))" --warmup 1 --style none --export-markdown "$md" \
  -n "hoist push (again)" "$hoist push -q oci:$IMG:bench $R/bench/img:1" \
  -n "skopeo copy (again)" "skopeo copy -q --dest-tls-verify=false oci:$IMG:bench docker://$R/bench/img:1" \
  >&2
cat "$md"
echo

# 4. Pull into a fresh OCI layout (the registry holds the image pushed above).
log "pull"
hyperfine -N --runs "$RUNS" --warmup 1 --style none --export-markdown "$md" \
  --prepare "rm -rf $OUT" -n "hoist pull" "$hoist pull -q $R/bench/img:1 oci:$OUT:1" \
  --prepare "rm -rf $OUT" -n "skopeo copy" "skopeo copy -q --src-tls-verify=false docker://$R/bench/img:1 oci:$OUT:1" \
  >&2
echo "### Pull into a new OCI layout ($RUNS runs each, 1 warm-up; registry storage is in the page cache)"
echo
echo '```'
echo "prepare: rm -rf $OUT"
echo "$hoist pull -q $R/bench/img:1 oci:$OUT:1"
echo "skopeo copy -q --src-tls-verify=false docker://$R/bench/img:1 oci:$OUT:1"
echo '```'
echo
cat "$md"
echo

# 5. Peak RSS with /usr/bin/time -v (one run each; fresh registry for pushes, fresh dir for pulls).
log "memory"
rss() { # rss CMD... -> "maxrss_kB wall"; a failing command fails the script
  if ! /usr/bin/time -v -o "$state/time.txt" "$@" >/dev/null; then
    echo "failed: $*" >&2
    kill -TERM $$
    return 1
  fi
  awk -F': ' '/Maximum resident set size/ {k=$2} /Elapsed \(wall clock\)/ {w=$2} END {print k, w}' "$state/time.txt"
}
echo "### Peak memory (\`/usr/bin/time -v\`, Maximum resident set size; one run each)"
echo
echo "| image | operation | hoist peak RSS | hoist wall | skopeo peak RSS | skopeo wall |"
echo "|:--|:--|--:|--:|--:|--:|"
stored=""
for which in img big; do
  if [[ $which == img ]]; then dir=$IMG; label="3 x ${LAYER_MB} MB random (gzip)"; else dir=$BIG; label="1 x ${BIG_MB} MB zeros (uncompressed tar)"; fi
  $restart
  read -r hp hpw < <(rss "$hoist" push -q "oci:$dir:bench" "$R/bench/img:1")
  hs=$(du -sb "$state/root" | cut -f1)
  rm -rf "$OUT"
  read -r hl hlw < <(rss "$hoist" pull -q "$R/bench/img:1" "oci:$OUT:1")
  rm -rf "$OUT"
  $restart
  read -r sp spw < <(rss skopeo copy -q --dest-tls-verify=false "oci:$dir:bench" "docker://$R/bench/img:1")
  ss=$(du -sb "$state/root" | cut -f1)
  stored="$stored- $label: registry storage after the push: hoist $hs bytes, skopeo $ss bytes"$'\n'
  read -r sl slw < <(rss skopeo copy -q --src-tls-verify=false "docker://$R/bench/img:1" "oci:$OUT:1")
  rm -rf "$OUT"
  mb() { awk -v k="$1" 'BEGIN {printf "%.1f MB", k / 1024}'; }
  echo "| $label | push | $(mb "$hp") | $hpw | $(mb "$sp") | $spw |"
  echo "| $label | pull | $(mb "$hl") | $hlw | $(mb "$sl") | $slw |"
done
echo
printf '%s' "$stored"
echo
echo "Commands: \`/usr/bin/time -v $hoist push -q oci:DIR:bench $R/bench/img:1\`, \`… pull -q $R/bench/img:1 oci:$OUT:1\`, and the skopeo copies above; MB = 1024 kB."
rm -f "$md"
log "done"
