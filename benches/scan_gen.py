#!/usr/bin/env python3
"""Writes the file trees of the `hoist scan` benchmark image (benches/scan.sh): LAYERS
directories of about MB megabytes each, mixing text (config, logs, source-like lines with
secret-ish keywords that are placeholders, so the regex stage runs) and binary (ELF-like
blobs: random sections, zero padding, embedded ASCII strings). Deterministic (seeded), so
every run scans the same bytes. Two planted secrets are the only findings. The layers are
packed with GNU tar and gzip (not hoist) into an OCI layout at OUT_DIR/img (tag v1).

usage: scan_gen.py OUT_DIR [LAYERS] [MB_PER_LAYER]
"""
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys

WORDS = ("the server config value user request handler path cache timeout retry "
         "password secret token key api auth url http https host port debug info warn "
         "error module import function return class self data file open close read write "
         "aws region bucket private public service account").split()


def text_file(rng, size):
    out = []
    n = 0
    while n < size:
        kind = rng.random()
        if kind < 0.05:
            line = f"{rng.choice(['password', 'api_key', 'secret'])} = ${{{rng.choice(WORDS).upper()}}}\n"
        elif kind < 0.08:
            line = f"url = https://{rng.choice(WORDS)}.example.com:{rng.randint(1, 65535)}/{rng.choice(WORDS)}\n"
        else:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14))) + "\n"
        out.append(line)
        n += len(line)
    return "".join(out).encode()


def binary_file(rng, size):
    out = bytearray(b"\x7fELF\x02\x01\x01\x00")
    while len(out) < size:
        kind = rng.random()
        if kind < 0.5:
            out += rng.randbytes(rng.randint(1024, 65536))
        elif kind < 0.7:
            out += bytes(rng.randint(512, 16384))
        else:
            s = b"\0".join(rng.choice(WORDS).encode() + b"_" + rng.choice(WORDS).encode()
                           for _ in range(rng.randint(16, 256)))
            out += s + b"\0"
    return bytes(out[:size])


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def put_blob(img, path_or_bytes):
    blobs = os.path.join(img, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    if isinstance(path_or_bytes, bytes):
        d = hashlib.sha256(path_or_bytes).hexdigest()
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(path_or_bytes)
        return d, len(path_or_bytes)
    d = sha256_file(path_or_bytes)
    size = os.path.getsize(path_or_bytes)
    shutil.move(path_or_bytes, os.path.join(blobs, d))
    return d, size


def layout(out, layers):
    img = os.path.join(out, "img")
    os.makedirs(img, exist_ok=True)
    diff_ids, descs, history = [], [], []
    for layer in range(layers):
        tar = os.path.join(out, f"layer{layer}.tar")
        subprocess.run(["tar", "--sort=name", "--owner=0", "--group=0", "--mtime=@0", "-C",
                        os.path.join(out, "tree", f"layer{layer}"), "-cf", tar, "."], check=True)
        diff_ids.append("sha256:" + sha256_file(tar))
        subprocess.run(["gzip", "-6", tar], check=True)
        d, size = put_blob(img, tar + ".gz")
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": "sha256:" + d, "size": size})
        history.append({"created_by": f"COPY layer{layer} / # scan bench"})
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/usr/bin"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids},
                         "history": history}).encode()
    cd, cs = put_blob(img, config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + cd, "size": cs},
                           "layers": descs}).encode()
    md, ms = put_blob(img, manifest)
    with open(os.path.join(img, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(img, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + md,
             "size": ms, "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}, f)


def main():
    out = sys.argv[1]
    layers = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    mb = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    rng = random.Random(20261204)
    for layer in range(layers):
        root = os.path.join(out, "tree", f"layer{layer}")
        written = 0
        i = 0
        while written < mb << 20:
            d = os.path.join(root, f"d{i % 37}")
            os.makedirs(d, exist_ok=True)
            if rng.random() < 0.5:
                data = text_file(rng, rng.randint(200, 400_000))
                name = f"f{i}.{rng.choice(['conf', 'log', 'py', 'txt', 'json'])}"
            else:
                data = binary_file(rng, rng.randint(4096, 6_000_000))
                name = f"lib{i}.so"
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            written += len(data)
            i += 1
        if layer == 0:
            with open(os.path.join(root, "id_rsa"), "w") as f:
                f.write("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
                        "-----END OPENSSH PRIVATE KEY-----\n")
        if layer == layers - 1:
            with open(os.path.join(root, "d0", "deploy.env"), "w") as f:
                f.write("GITHUB_TOKEN=ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5" + "\n")
    layout(out, layers)
    shutil.rmtree(os.path.join(out, "tree"))


if __name__ == "__main__":
    main()
