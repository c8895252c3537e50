//! Output formats of `hoist parse`: BuildKit's AST dump (one s-expression per instruction, the
//! format of BuildKit's parser conformance `result` files) and the whole AST as pretty JSON.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{json, Value};

use super::ast::{Dockerfile, Instruction, InstructionKind};

/// BuildKit's AST dump: `(<keyword> ["--flag" ...] "arg" ...)` per instruction, one per line.
pub fn buildkit(df: &Dockerfile) -> String {
    let mut out = String::new();
    for ins in &df.instructions {
        out.push('(');
        dump_instruction(&mut out, ins);
        out.push_str(")\n");
    }
    out
}

fn dump_instruction(out: &mut String, ins: &Instruction) {
    out.push_str(&ins.keyword_word.value.to_lowercase());
    if !ins.flags.is_empty() {
        out.push_str(" [");
        for (i, f) in ins.flags.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let mut text = format!("--{}", f.name);
            if let Some(v) = &f.value {
                text.push('=');
                text.push_str(v);
            }
            out.push_str(&go_quote(&text));
        }
        out.push(']');
    }
    if let InstructionKind::Onbuild(inner) = &ins.kind {
        out.push_str(" (");
        dump_instruction(out, inner);
        out.push(')');
        return;
    }
    for a in &ins.args {
        out.push(' ');
        out.push_str(&go_quote(a));
    }
}

/// The whole AST (spans included) as pretty-printed JSON.
///
/// Instruction kinds are written as objects tagged with `"kind"`; the variants that hold a list
/// put it under a named field (`words`, `pairs`, `args`, `ports`), and ONBUILD's trigger goes under
/// `instruction` (serde's internal tagging cannot hold a bare list).
pub fn json(df: &Dockerfile) -> String {
    let v = json!({
        "directives": value(&df.directives),
        "escape": df.escape.to_string(),
        "instructions": df.instructions.iter().map(instruction_value).collect::<Vec<_>>(),
        "comments": value(&df.comments),
        "errors": value(&df.errors),
        "warnings": value(&df.warnings),
    });
    serde_json::to_string_pretty(&v)
        .unwrap_or_else(|e| format!("{{\"error\": {}}}", go_quote(&e.to_string())))
}

fn value<T: Serialize + ?Sized>(x: &T) -> Value {
    serde_json::to_value(x).unwrap_or_else(|e| Value::String(format!("unserializable: {e}")))
}

fn instruction_value(ins: &Instruction) -> Value {
    json!({
        "keyword": value(&ins.keyword),
        "keyword_word": value(&ins.keyword_word),
        "flags": value(&ins.flags),
        "kind": kind_value(&ins.kind),
        "heredocs": value(&ins.heredocs),
        "args": value(&ins.args),
        "json": ins.json,
        "span": value(&ins.span),
        "args_span": value(&ins.args_span),
    })
}

fn kind_value(kind: &InstructionKind) -> Value {
    match kind {
        InstructionKind::Shell(w) => json!({"kind": "shell", "words": value(w)}),
        InstructionKind::Label(kv) => json!({"kind": "label", "pairs": value(kv)}),
        InstructionKind::Env(kv) => json!({"kind": "env", "pairs": value(kv)}),
        InstructionKind::Arg(a) => json!({"kind": "arg", "args": value(a)}),
        InstructionKind::Expose(w) => json!({"kind": "expose", "ports": value(w)}),
        InstructionKind::Other(w) => json!({"kind": "other", "words": value(w)}),
        InstructionKind::Onbuild(inner) => {
            json!({"kind": "onbuild", "instruction": instruction_value(inner)})
        }
        other => value(other),
    }
}

/// Quotes `s` the way Go's `strconv.Quote` does: `\a \b \f \n \r \t \v \\ \"` escapes, `\xNN`
/// for other ASCII control bytes, `\uNNNN`/`\UNNNNNNNN` for non-printable characters, printable
/// Unicode kept as is.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Approximates Go's `unicode.IsPrint`: everything but control and format characters, spaces
/// other than U+0020, line/paragraph separators, private-use characters and noncharacters.
/// (Unassigned code points are treated as printable; Go would escape them.)
fn is_printable(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let format = matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF
        | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F);
    let private = matches!(u, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD);
    let nonchar = (u & 0xFFFE) == 0xFFFE || (0xFDD0..=0xFDEF).contains(&u);
    !(format || private || nonchar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_dump_covers_every_kind() {
        let src = "ARG V=1\nFROM a:$V AS b\nRUN x\nCMD [\"y\"]\nENTRYPOINT z\nSHELL [\"sh\"]\nLABEL a=b\nENV c d\nEXPOSE 80\nADD a b\nCOPY <<EOF c\nbody\nEOF\nVOLUME /v\nUSER u\nWORKDIR /w\nMAINTAINER m\nSTOPSIGNAL 9\nONBUILD LABEL x=y\nHEALTHCHECK NONE\nFOO bar\n";
        let df = crate::dockerfile::parse(src);
        let out = json(&df);
        let v: Value = serde_json::from_str(&out).expect("valid JSON");
        let ins = v["instructions"].as_array().expect("instructions");
        assert_eq!(ins.len(), 19);
        assert_eq!(ins[6]["kind"]["pairs"][0]["key"]["value"], "a");
        assert_eq!(ins[16]["kind"]["instruction"]["kind"]["kind"], "label");
        assert_eq!(ins[10]["heredocs"][0]["body"], "body\n");
        assert_eq!(
            v["errors"][0]["message"],
            "unknown instruction: FOO (did you mean FROM?)"
        );
        assert!(!out.contains("unserializable"));
    }

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            go_quote("\u{7}\u{8}\u{c}\n\r\t\u{b}"),
            r#""\a\b\f\n\r\t\v""#
        );
        assert_eq!(go_quote("\0\u{1b}\u{7f}"), r#""\x00\x1b\x7f""#);
        assert_eq!(go_quote("♥ é ☃"), "\"♥ é ☃\"");
        assert_eq!(
            go_quote("\u{a0}\u{200b}\u{feff}"),
            r#""\u00a0\u200b\ufeff""#
        );
        assert_eq!(go_quote("\u{10ffff}"), r#""\U0010ffff""#);
        assert_eq!(go_quote("\u{85}"), r#""\u0085""#);
    }
}
