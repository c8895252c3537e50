#!/usr/bin/env bash
# `hoist build` vs `buildah bud --isolation chroot --layers` (issue 7), both measured in the
# same run, plus hoist's registry build cache on an empty store:
#   bash benches/build.sh       # needs: cargo, buildah, umoci, busybox-static, hyperfine,
#                               #        docker-registry, curl, python3, tar
# Env: BENCH_DIR (scratch, default /tmp/hoist-build-bench), RUNS (timed runs per command,
#      default 3), STORAGE (buildah storage driver: overlay (default) or vfs), TREE_MB (467),
#      TREE_FILES (20000), ONLY (space-separated scenarios: two tree registry; default all),
#      HOIST (a hoist binary to use instead of building target/release/hoist),
#      KEEP=1 (keep the tree copy and buildah's storage for the next run).
# Scenarios:
#   two       two-stage build, 3 RUN, 350 small context files, busybox base: cold (hoist: a new
#             empty store per run, so base import and context hashing count; buildah:
#             --no-cache with the base in its storage) and no-op rebuild (everything cached)
#   tree      COPY of TREE_MB MB / TREE_FILES files (a slice of /usr/lib and /usr/share, see
#             benches/build_tree.py): cold (as above) and cached
#   registry  hoist only: `--cache-to type=registry` from one store, then a new empty store
#             with `--cache-from` vs a new empty store built cold, against a docker-registry
#             this script starts on loopback
# The busybox base is an OCI layout made with umoci from Debian's busybox-static (never with
# hoist); buildah pulls it once into its private --root. Everything started here is stopped on
# exit (by pid); scratch data is deleted unless KEEP=1. Markdown on stdout, progress on stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
B=${BENCH_DIR:-/tmp/hoist-build-bench}
RUNS=${RUNS:-3}
STORAGE=${STORAGE:-overlay}
TREE_MB=${TREE_MB:-467}
TREE_FILES=${TREE_FILES:-20000}
ONLY=${ONLY:-two tree registry}

for t in cargo buildah umoci hyperfine curl python3 tar /usr/bin/docker-registry; do
  command -v "$t" >/dev/null || { echo "benches/build.sh needs $t" >&2; exit 2; }
done
bb=$(command -v busybox || true)
[[ -n "$bb" ]] || { echo "benches/build.sh needs busybox (apt: busybox-static)" >&2; exit 2; }

log() { echo "[$(date +%T)] $*" >&2; }
want() { [[ " $ONLY " == *" $1 "* ]]; }

reg_pid=""
cleanup() {
  if [[ -n "$reg_pid" ]]; then
    kill "$reg_pid" 2>/dev/null || true
    wait "$reg_pid" 2>/dev/null || true
  fi
  rm -rf "$B/registry" "$B/homes"
  if [[ -z "${KEEP:-}" ]]; then
    # buildah's overlay storage holds mounts only while building; remove it with buildah first.
    if [[ -d "$B/buildah" ]]; then
      "${buildah[@]}" rm -a >/dev/null 2>&1 || true
      "${buildah[@]}" rmi -a -f >/dev/null 2>&1 || true
    fi
    rm -rf "$B/buildah" "$B/ctx-tree"
  fi
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

mkdir -p "$B"
if [[ -z "${HOIST:-}" ]]; then
  (cd "$root" && cargo build --release --quiet --bin hoist) >&2
fi
hoist=${HOIST:-$root/target/release/hoist}
buildah=(buildah --root "$B/buildah/root" --runroot "$B/buildah/run" --storage-driver "$STORAGE")

# --- the busybox base (umoci) -------------------------------------------------------------
base="$B/busybox"
if [[ ! -f "$base/.done" ]]; then
  log "making the busybox base with umoci"
  rm -rf "$base" "$B/bb-rootfs"
  r="$B/bb-rootfs"
  mkdir -p "$r/bin" "$r/etc" "$r/root" "$r/tmp" "$r/home"
  cp "$bb" "$r/bin/busybox"
  for a in $("$bb" --list); do [[ "$a" == busybox ]] || ln -s busybox "$r/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\n' >"$r/etc/group"
  chmod 700 "$r/root"
  chmod 1777 "$r/tmp"
  umoci init --layout "$base"
  umoci new --image "$base:latest"
  umoci insert --image "$base:latest" "$r" /
  umoci config --image "$base:latest" --config.env PATH=/bin --config.cmd sh
  umoci gc --layout "$base"
  rm -rf "$r"
  touch "$base/.done"
fi
BASE_HOIST="oci:$base:latest"
BASE_BUILDAH="localhost/hoist-bench-busybox:latest"
if ! "${buildah[@]}" inspect --type image "$BASE_BUILDAH" >/dev/null 2>&1; then
  log "pulling the base into buildah's $STORAGE storage"
  id=$("${buildah[@]}" pull -q "oci:$base:latest")
  "${buildah[@]}" tag "$id" "$BASE_BUILDAH"
fi

# --- contexts -----------------------------------------------------------------------------
two="$B/ctx-two"
if [[ ! -f "$two/Dockerfile" ]]; then
  log "making the two-stage context (350 files)"
  rm -rf "$two"
  for d in $(seq -w 0 13); do
    mkdir -p "$two/src/d$d"
    for f in $(seq -w 0 24); do
      # 1-4 KiB of text per file, deterministic.
      head -c $((1024 * (1 + 10#$f % 4))) <(yes "line $d $f of the two-stage benchmark context") >"$two/src/d$d/f$f.txt"
    done
  done
  cat >"$two/Dockerfile" <<'EOF'
ARG BASE
FROM $BASE AS build
COPY src/ /src/
RUN mkdir -p /out && cat /src/*/* | wc -c > /out/bytes
RUN cp -r /src /out/src && ls -R /out > /out/list
FROM $BASE
COPY --from=build /out /app
RUN wc -l /app/list > /app/count
EOF
fi
tree="$B/ctx-tree"
if want tree && [[ ! -f "$tree/Dockerfile" ]]; then
  log "copying a $TREE_MB MB / $TREE_FILES file slice of /usr/lib and /usr/share"
  rm -rf "$tree"
  mkdir -p "$tree/tree"
  python3 "$here/build_tree.py" "$TREE_MB" "$TREE_FILES" >"$B/tree.list"
  tar -C / --null -T "$B/tree.list" -cf - | tar -C "$tree/tree" -xf -
  # shellcheck disable=SC2016 # a Dockerfile, not shell
  printf 'ARG BASE\nFROM $BASE\nCOPY tree/ /tree/\n' >"$tree/Dockerfile"
fi

# --- helpers ------------------------------------------------------------------------------
homes="$B/homes"
mkdir -p "$homes"
hb() { # hoist build command line: HOME_NAME CONTEXT EXTRA...
  local h=$1 ctx=$2
  shift 2
  echo "HOIST_HOME=$homes/$h $hoist build -q --build-arg BASE=$BASE_HOIST $* $ctx"
}
bb_cmd() { # buildah bud command line: TAG CONTEXT EXTRA...
  local tag=$1 ctx=$2
  shift 2
  echo "${buildah[*]} bud -q --isolation chroot --layers --pull=never --build-arg BASE=$BASE_BUILDAH -t $tag $* $ctx"
}
prune="${buildah[*]} rmi --prune"
json="$B/json"
mkdir -p "$json"
# hyperfine NAME [options] -- CMD... ; exports $json/NAME.json, table on stdout
hf() {
  local name=$1
  shift
  hyperfine --style basic --export-json "$json/$name.json" --export-markdown "$json/$name.md" "$@" >&2
  cat "$json/$name.md"
  echo
}

echo "## Build: hoist vs buildah"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
echo "- hoist $(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- src || echo ' + working tree') ($hoist); $(buildah --version); buildah storage: $STORAGE"
echo

if want two; then
  log "two-stage: warm both once"
  eval "$(hb two "$two")" >/dev/null
  eval "$(bb_cmd hoist-bench-two "$two")" >/dev/null
  echo "### Two-stage build, cold, $RUNS runs (hoist: a new empty store each run; buildah: --no-cache)"
  echo
  hf two-cold --runs "$RUNS" --prepare "$prune; rm -rf $homes/cold" \
    -n hoist "$(hb cold "$two")" \
    -n buildah "$(bb_cmd hoist-bench-two "$two" --no-cache)"
  echo "### Two-stage build, no-op rebuild (all cached), $((RUNS * 3)) runs"
  echo
  hf two-noop --warmup 1 --runs $((RUNS * 3)) \
    -n hoist "$(hb two "$two")" \
    -n buildah "$(bb_cmd hoist-bench-two "$two")"
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
fi

if want tree; then
  stats=$(find "$tree/tree" -type f | wc -l)
  mb=$(du -sm --apparent-size "$tree/tree" | cut -f1)
  log "tree: warm both once"
  eval "$(hb tree "$tree")" >/dev/null
  eval "$(bb_cmd hoist-bench-tree "$tree")" >/dev/null
  echo "### COPY of $mb MiB / $stats files, cold, $RUNS runs (hoist: a new empty store each run, also with --compression zstd; buildah: --no-cache)"
  echo
  hf tree-cold --runs "$RUNS" --prepare "$prune; rm -rf $homes/cold" \
    -n hoist "$(hb cold "$tree")" \
    -n "hoist (zstd)" "$(hb cold "$tree" --compression zstd)" \
    -n buildah "$(bb_cmd hoist-bench-tree "$tree" --no-cache)"
  echo "### COPY of $mb MiB / $stats files, cached, $RUNS runs"
  echo
  hf tree-cached --warmup 1 --runs "$RUNS" \
    -n hoist "$(hb tree "$tree")" \
    -n buildah "$(bb_cmd hoist-bench-tree "$tree")"
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  "${buildah[@]}" rmi -f hoist-bench-tree >/dev/null 2>&1 || true
  "${buildah[@]}" rmi --prune >/dev/null 2>&1 || true
  rm -rf "$homes/tree" "$homes/cold"
fi

if want registry; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$B/registry/root"
  cat >"$B/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $B/registry/root
http:
  addr: 127.0.0.1:$port
EOF
  /usr/bin/docker-registry serve "$B/registry/config.yml" </dev/null >"$B/registry/out.log" 2>&1 &
  reg_pid=$!
  for _ in $(seq 200); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null && break
    sleep 0.05
  done
  for ctx in two $(want tree && echo tree); do
    dir="$B/ctx-$ctx"
    ref="127.0.0.1:$port/bench/cache:$ctx"
    log "registry: export the cache of $ctx"
    eval "$(hb "export-$ctx" "$dir" --cache-to "type=registry,ref=$ref,mode=max")" >/dev/null
    echo "### Empty store: cold vs \`--cache-from type=registry\` ($ctx), $RUNS runs"
    echo
    hf "registry-$ctx" --runs "$RUNS" --prepare "rm -rf $homes/cold $homes/from" \
      -n cold "$(hb cold "$dir")" \
      -n cache-from "$(hb from "$dir" --cache-from "type=registry,ref=$ref")"
    rm -rf "$homes/export-$ctx" "$homes/cold" "$homes/from"
  done
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
fi

echo "### Summary"
echo
python3 - "$json" <<'EOF'
import json, os, sys
d = sys.argv[1]
def mean(name, cmd):
    p = os.path.join(d, name + ".json")
    if not os.path.exists(p):
        return None
    for r in json.load(open(p))["results"]:
        if r["command"] == cmd:
            return r["mean"]
rows = [
    ("two-stage cold", "two-cold", "buildah", "hoist", 2.0, "hoist ≤ 0.5× buildah"),
    ("two-stage no-op rebuild", "two-noop", "buildah", "hoist", 10.0, "hoist ≥ 10× faster"),
    ("COPY tree cold", "tree-cold", "buildah", "hoist", 5.0, "hoist ≥ 5× faster"),
    ("COPY tree cold, hoist --compression zstd", "tree-cold", "buildah", "hoist (zstd)", 5.0, "(informative)"),
    ("COPY tree cached", "tree-cached", "buildah", "hoist", 30.0, "hoist ≥ 30× faster"),
    ("registry cache, two-stage (empty store)", "registry-two", "cold", "cache-from", 5.0, "cache-from ≥ 5× faster than cold"),
    ("registry cache, tree (empty store)", "registry-tree", "cold", "cache-from", 5.0, "cache-from ≥ 5× faster than cold"),
]
print("| scenario | reference [s] | hoist [s] | speed-up | target | met |")
print("|:--|--:|--:|--:|:--|:--|")
for label, name, ref, ours, want, text in rows:
    a, b = mean(name, ref), mean(name, ours)
    if a is None or b is None:
        continue
    r = a / b
    print(f"| {label} | {a:.3f} ({ref}) | {b:.3f} | {r:.1f}× | {text} | {'yes' if r >= want else 'no'} |")
EOF
