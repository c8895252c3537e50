#!/usr/bin/env python3
"""Pick a deterministic slice of /usr/lib and /usr/share for the COPY benchmark of
benches/build.sh and print the chosen paths (relative to /, NUL-separated) on stdout.

    python3 benches/build_tree.py MB FILES > list

Regular files of at most 1 MiB (no symlinks, no special files), walked in sorted order:
/usr/lib until 72 % of MB, then /usr/share until MB or FILES is reached. The totals go to
stderr."""
import os
import sys


def walk(top):
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                size = os.lstat(path).st_size
            except OSError:
                continue
            if size <= 1 << 20 and os.access(path, os.R_OK):
                yield path, size


def main():
    limit, files = int(sys.argv[1]) * 1_000_000, int(sys.argv[2])
    total, count = 0, 0
    out = sys.stdout.buffer
    for path, size in walk("/usr/lib"):
        if total + size > limit * 0.72 or count >= files:
            break
        out.write(path.lstrip("/").encode() + b"\0")
        total, count = total + size, count + 1
    for path, size in walk("/usr/share"):
        if count >= files or total >= limit:
            break
        if total + size > limit:
            continue
        out.write(path.lstrip("/").encode() + b"\0")
        total, count = total + size, count + 1
    print(f"tree: {count} files, {total / 1e6:.0f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
