#!/usr/bin/env python3
"""Extracts the test inputs and expectations of hadolint's rule specs into JSON data files.

Usage: extract.py HADOLINT_CHECKOUT OUT_DIR

Reads test/Hadolint/Rule/*Spec.hs and test/Hadolint/PragmaSpec.hs of a hadolint checkout and
writes one OUT_DIR/<Spec>.json per spec file: a list of cases, each
  {"id", "it", "code", "expect", "onbuild", "dockerfile", "config"}
where expect is "catches" (at least one finding of code), "catches-not" (none),
"count:N" (exactly N), "shellcheck-fails" or "shellcheck-passes", and onbuild says the case
wraps every RUN in ONBUILD (hadolint's onBuild* helpers, which expect exactly one finding for
"catches"). Only facts are taken: the Dockerfile texts, codes, expectations and configuration
values. The Haskell is read with a small tokenizer and an evaluator for the few expression
forms the specs use (string literals, lists, Text.unlines, <>, let bindings); an expression
it does not understand stops the script with the file and line, so nothing is dropped
silently.
"""

import json
import pathlib
import re
import sys


class Tok:
    def __init__(self, kind, val, line, col):
        self.kind, self.val, self.line, self.col = kind, val, line, col

    def __repr__(self):
        return f"{self.kind}:{self.val!r}@{self.line}"


ESC = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r", "0": "\0"}


def tokenize(src):
    toks, i, line, col0 = [], 0, 1, 0
    n = len(src)
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
            col0 = i
            continue
        if c.isspace():
            i += 1
            continue
        if src.startswith("--", i) and not src.startswith("-->", i):
            while i < n and src[i] != "\n":
                i += 1
            continue
        if src.startswith("{-", i):
            j = src.index("-}", i)
            line += src.count("\n", i, j)
            i = j + 2
            continue
        col = i - col0
        if c == '"':
            i += 1
            out = []
            while src[i] != '"':
                if src[i] == "\\":
                    d = src[i + 1]
                    if d.isspace():  # string gap: \<whitespace>\
                        j = i + 1
                        while src[j] != "\\":
                            if src[j] == "\n":
                                line += 1
                                col0 = j + 1
                            j += 1
                        i = j + 1
                        continue
                    if d == "&":
                        i += 2
                        continue
                    if d.isdigit():
                        m = re.match(r"\d+", src[i + 1 :])
                        out.append(chr(int(m.group(0))))
                        i += 1 + len(m.group(0))
                        continue
                    if d not in ESC:
                        raise SyntaxError(f"line {line}: unknown escape \\{d}")
                    out.append(ESC[d])
                    i += 2
                    continue
                out.append(src[i])
                i += 1
            i += 1
            toks.append(Tok("str", "".join(out), line, col))
            continue
        m = re.match(r"\??[A-Za-z_][A-Za-z0-9_'.]*", src[i:])
        if m:
            toks.append(Tok("id", m.group(0), line, col))
            i += len(m.group(0))
            continue
        m = re.match(r"\d+", src[i:])
        if m:
            toks.append(Tok("num", int(m.group(0)), line, col))
            i += len(m.group(0))
            continue
        m = re.match(r"<>|::|=>|->|[$=(){}\[\],]|[^\sA-Za-z0-9\"]+", src[i:])
        toks.append(Tok("sym", m.group(0), line, col))
        i += len(m.group(0))
    return toks


ASSERT_RULE = {
    "ruleCatches": ("catches", False),
    "ruleCatchesNot": ("catches-not", False),
    "onBuildRuleCatches": ("count:1", True),
    "onBuildRuleCatchesNot": ("catches-not", True),
}
ASSERT_CHECKS = {"assertChecks": False, "assertOnBuildChecks": True}


class Spec:
    def __init__(self, path, toks):
        self.path, self.t, self.p = path, toks, 0
        self.env = {}
        self.config_stack = []  # (indent, config dict)
        self.it = None
        self.cases = []

    def err(self, msg):
        tok = self.t[self.p] if self.p < len(self.t) else None
        raise SyntaxError(f"{self.path}:{tok.line if tok else 'EOF'}: {msg}")

    def peek(self, k=0):
        return self.t[self.p + k] if self.p + k < len(self.t) else Tok("eof", None, 0, 0)

    def take(self, kind=None, val=None):
        tok = self.peek()
        if (kind and tok.kind != kind) or (val is not None and tok.val != val):
            self.err(f"expected {kind} {val!r}, got {tok!r}")
        self.p += 1
        return tok

    # --- expressions -------------------------------------------------------------------
    def atom(self):
        tok = self.peek()
        if tok.kind == "str":
            self.p += 1
            return tok.val
        if tok.kind == "num":
            self.p += 1
            return tok.val
        if tok.kind == "sym" and tok.val == "[":
            self.p += 1
            items = []
            while not (self.peek().kind == "sym" and self.peek().val == "]"):
                items.append(self.expr())
                if self.peek().val == ",":
                    self.p += 1
            self.p += 1
            return items
        if tok.kind == "sym" and tok.val == "(":
            self.p += 1
            items = [self.expr()]
            while self.peek().val == ",":
                self.p += 1
                items.append(self.expr())
            self.take("sym", ")")
            return items[0] if len(items) == 1 else tuple(items)
        if tok.kind == "id":
            name = tok.val
            if name in ("Text.unlines", "unlines"):
                self.p += 1
                return "".join(s + "\n" for s in self.arg())
            if name in ("Map.fromList",):
                self.p += 1
                return dict(self.arg())
            if name.startswith("Rule.") or name in ("Url", "True", "False"):
                self.p += 1
                return {"True": True, "False": False}.get(name, name.split(".")[-1])
            if name in self.env:
                self.p += 1
                return self.env[name]
        self.err(f"cannot evaluate {tok!r}")

    def arg(self):
        if self.peek().kind == "sym" and self.peek().val == "$":
            self.p += 1
            return self.expr()
        return self.atom()

    def expr(self):
        v = self.arg()
        while self.peek().kind == "sym" and self.peek().val == "<>":
            self.p += 1
            v = v + self.arg()
        return v

    # --- statements --------------------------------------------------------------------
    def config(self):
        return self.config_stack[-1][1] if self.config_stack else {}

    def record(self, code, expect, onbuild, dockerfile):
        if not isinstance(dockerfile, str) or not isinstance(code, str):
            self.err("assertion arguments are not text")
        n = sum(1 for c in self.cases if c["it"] == self.it)
        self.cases.append(
            {
                "id": f"{self.path.stem}: {self.it} #{n + 1}",
                "it": self.it,
                "code": code,
                "expect": expect,
                "onbuild": onbuild,
                # hadolint's helpers parse `dockerfile <> "\n"`.
                "dockerfile": dockerfile + "\n",
                "config": self.config(),
            }
        )

    def run(self):
        while self.p < len(self.t):
            tok = self.peek()
            if tok.kind == "id" and tok.val in ("it", "describe") and self.peek(1).kind == "str":
                while self.config_stack and self.config_stack[-1][0] > tok.col:
                    self.config_stack.pop()
                if tok.val == "it":
                    self.it = self.peek(1).val
                self.p += 2
            elif tok.kind == "id" and tok.val == "?config" and self.peek(1).val == "=":
                before = self.t[self.p - 1] if self.p else tok
                let_col = before.col if before.val == "let" else tok.col
                self.p += 2
                self.take("id", "def")
                cfg = dict(self.config_stack[0][1]) if self.config_stack else {}
                if self.peek().val == "{":
                    self.p += 1
                    while self.peek().val != "}":
                        key = self.take("id").val
                        self.take("sym", "=")
                        cfg[key] = self.expr()
                        if self.peek().val == ",":
                            self.p += 1
                    self.p += 1
                self.config_stack.append((let_col, cfg))
            elif tok.kind == "id" and tok.val in ASSERT_RULE:
                self.p += 1
                expect, onbuild = ASSERT_RULE[tok.val]
                code = self.atom()
                self.record(code, expect, onbuild, self.arg())
            elif tok.kind == "id" and tok.val in ASSERT_CHECKS:
                self.p += 1
                onbuild = ASSERT_CHECKS[tok.val]
                df = self.atom()
                paren = self.peek().val == "("
                if paren:
                    self.p += 1
                what = self.take("id").val
                if what == "failsWith":
                    count = self.atom()
                    self.record(self.atom(), f"count:{count}", onbuild, df)
                elif what in ("failsShellcheck", "passesShellcheck"):
                    expect = "shellcheck-fails" if what == "failsShellcheck" else "shellcheck-passes"
                    self.record("SC", expect, onbuild, df)
                else:
                    self.err(f"unknown check {what}")
                if paren:
                    self.take("sym", ")")
            elif (
                tok.kind == "id"
                and self.peek(1).kind == "sym"
                and self.peek(1).val == "="
                and tok.val not in ("spec", "module")
            ):
                self.p += 2
                self.env[tok.val] = self.expr()
            elif tok.kind == "id" and tok.val in ("failsWith", "failsWithSome"):
                self.err(f"{tok.val} outside assertChecks")
            else:
                self.p += 1
        return self.cases


def main():
    root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    files = sorted((root / "test/Hadolint/Rule").glob("*Spec.hs")) + [
        root / "test/Hadolint/PragmaSpec.hs"
    ]
    total = 0
    for f in files:
        cases = Spec(f, tokenize(f.read_text())).run()
        if not cases:
            raise SystemExit(f"{f}: no cases found")
        total += len(cases)
        (out / f"{f.stem}.json").write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
    print(f"{total} cases from {len(files)} spec files")


if __name__ == "__main__":
    main()
