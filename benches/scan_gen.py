#!/usr/bin/env python3
"""Writes the file trees of the `hoist scan` benchmark image (benches/scan.sh): LAYERS
directories of about MB megabytes each, mixing text (config, logs, source-like lines with
secret-ish keywords that are placeholders, so the regex stage runs) and binary (ELF-like
blobs: random sections, zero padding, embedded ASCII strings). Deterministic (seeded), so
every run scans the same bytes. Two planted secrets are the only findings.

usage: scan_gen.py OUT_DIR [LAYERS] [MB_PER_LAYER]
"""
import os
import random
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


def main():
    out = sys.argv[1]
    layers = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    mb = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    rng = random.Random(20261204)
    for layer in range(layers):
        root = os.path.join(out, f"layer{layer}")
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


if __name__ == "__main__":
    main()
