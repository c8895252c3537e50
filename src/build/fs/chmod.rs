//! `--chmod` values: octal (`0755`, at most `07777`) or symbolic (`u+x,g-w,o=r`, `a+X`,
//! `g=u`) with BSD `setmode` semantics and a zero umask, as BuildKit applies them: `X` adds
//! execute only to directories and to files that already had an execute bit; `s` and `t` need
//! a `who` other than just `o`; `=` first clears the bits of its `who`.

use super::FsError;

/// A parsed `--chmod`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chmod {
    /// An octal mode that replaces the permission bits.
    Octal(u32),
    /// A symbolic mode applied to each file's own mode.
    Symbolic(String),
}

/// Parse a `--chmod` value.
pub fn parse_chmod(s: &str) -> Result<Chmod, FsError> {
    let bad = |reason: &str| FsError::BadChmod {
        value: s.to_string(),
        reason: reason.to_string(),
    };
    if s.is_empty() {
        return Err(bad("empty"));
    }
    if s.as_bytes()[0].is_ascii_digit() {
        let v = u32::from_str_radix(s, 8).map_err(|_| bad("not an octal number"))?;
        if v > 0o7777 {
            return Err(bad("octal modes go up to 07777"));
        }
        return Ok(Chmod::Octal(v));
    }
    parse_symbolic(s).map_err(bad)?;
    Ok(Chmod::Symbolic(s.to_string()))
}

impl Chmod {
    /// The mode a file or directory gets (`mode`: its current permission bits).
    pub fn apply(&self, mode: u32, is_dir: bool) -> u32 {
        match self {
            Chmod::Octal(m) => *m,
            Chmod::Symbolic(s) => match parse_symbolic(s) {
                Ok(clauses) => apply_symbolic(&clauses, mode & 0o7777, is_dir),
                Err(_) => mode,
            },
        }
    }

    /// Mode of the destination directories a COPY creates: BuildKit uses the permission bits
    /// of an octal `--chmod` for them too (Go's `os.Chmod` drops raw setuid/setgid/sticky
    /// bits there), 0755 otherwise.
    pub fn created_dir_mode(chmod: Option<&Chmod>) -> u32 {
        match chmod {
            Some(Chmod::Octal(m)) => *m & 0o777,
            _ => 0o755,
        }
    }
}

const SUID: u32 = 0o4000;
const SGID: u32 = 0o2000;
const STICKY: u32 = 0o1000;
const STANDARD: u32 = 0o6777;

#[derive(Debug, Clone)]
struct Clause {
    /// 0 = not given (all, umask 0).
    who: u32,
    ops: Vec<(u8, Perms)>,
}

#[derive(Debug, Clone, Default)]
struct Perms {
    bits: u32,
    /// `X` given.
    cond_x: bool,
    /// `u`, `g` or `o`: copy from that class.
    copy_from: Option<u8>,
    /// `t` given (extends who with the sticky bit).
    sticky: bool,
}

fn parse_symbolic(s: &str) -> Result<Vec<Clause>, &'static str> {
    let mut out = Vec::new();
    for clause in s.split(',') {
        let b = clause.as_bytes();
        let mut i = 0;
        let mut who = 0u32;
        while i < b.len() {
            match b[i] {
                b'a' => who |= STANDARD,
                b'u' => who |= SUID | 0o700,
                b'g' => who |= SGID | 0o070,
                b'o' => who |= 0o007,
                _ => break,
            }
            i += 1;
        }
        let mut ops = Vec::new();
        if i >= b.len() {
            return Err("missing operator (+, - or =)");
        }
        while i < b.len() {
            let op = b[i];
            if !matches!(op, b'+' | b'-' | b'=') {
                return Err("expected +, - or =");
            }
            i += 1;
            let mut p = Perms::default();
            while i < b.len() && !matches!(b[i], b'+' | b'-' | b'=') {
                match b[i] {
                    b'r' => p.bits |= 0o444,
                    b'w' => p.bits |= 0o222,
                    b'x' => p.bits |= 0o111,
                    b'X' => p.cond_x = true,
                    b's' => {
                        if who == 0 || who & !0o007 != 0 {
                            p.bits |= SUID | SGID;
                        }
                    }
                    b't' => {
                        if who == 0 || who & !0o007 != 0 {
                            p.bits |= STICKY;
                            p.sticky = true;
                        }
                    }
                    c @ (b'u' | b'g' | b'o') => {
                        if p.copy_from.is_some() || p.bits != 0 || p.cond_x {
                            return Err("u, g or o cannot be combined with other permissions");
                        }
                        p.copy_from = Some(c);
                    }
                    _ => return Err("unknown permission letter"),
                }
                i += 1;
            }
            ops.push((op, p));
        }
        out.push(Clause { who, ops });
    }
    Ok(out)
}

fn apply_symbolic(clauses: &[Clause], omode: u32, is_dir: bool) -> u32 {
    let mut m = omode;
    for c in clauses {
        for (op, p) in &c.ops {
            let mut who = c.who;
            if p.sticky && who != 0 {
                who |= STICKY;
            }
            let mask = |bits: u32| if who == 0 { bits } else { who & bits };
            if let Some(from) = p.copy_from {
                let v = match from {
                    b'u' => (m >> 6) & 7,
                    b'g' => (m >> 3) & 7,
                    _ => m & 7,
                };
                let spread = v << 6 | v << 3 | v;
                let classes = if who == 0 { 0o777 } else { who & 0o777 };
                match op {
                    b'+' => m |= spread & classes,
                    b'-' => m &= !(spread & classes),
                    _ => m = (m & !classes) | (spread & classes),
                }
                continue;
            }
            let bits = mask(p.bits);
            match op {
                b'+' => m |= bits,
                b'-' => m &= !bits,
                _ => {
                    m &= !(if who == 0 { STANDARD } else { who });
                    m |= bits;
                }
            }
            if p.cond_x && *op == b'+' && (is_dir || omode & 0o111 != 0) {
                m |= mask(0o111);
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(s: &str, mode: u32, dir: bool) -> u32 {
        match parse_chmod(s) {
            Ok(c) => c.apply(mode, dir),
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn octal() {
        assert_eq!(parse_chmod("755").ok(), Some(Chmod::Octal(0o755)));
        assert_eq!(parse_chmod("04755").ok(), Some(Chmod::Octal(0o4755)));
        assert!(parse_chmod("10000").is_err());
        assert!(parse_chmod("0758").is_err());
        assert!(parse_chmod("").is_err());
        assert_eq!(sym("0640", 0o777, false), 0o640);
        assert_eq!(Chmod::created_dir_mode(Some(&Chmod::Octal(0o700))), 0o700);
        assert_eq!(Chmod::created_dir_mode(Some(&Chmod::Octal(0o4750))), 0o750);
        assert_eq!(
            Chmod::created_dir_mode(Some(&Chmod::Symbolic("u+x".into()))),
            0o755
        );
    }

    #[test]
    fn symbolic_like_chmod1() {
        assert_eq!(sym("u+x", 0o644, false), 0o744);
        assert_eq!(sym("+x", 0o644, false), 0o755);
        assert_eq!(sym("g-w,o-r", 0o664, false), 0o640);
        assert_eq!(sym("a=r", 0o4755, false), 0o444);
        assert_eq!(sym("u=rwx,g=rx,o=", 0o000, false), 0o750);
        assert_eq!(sym("go=u", 0o640, false), 0o666);
        assert_eq!(sym("u+s", 0o755, false), 0o4755);
        assert_eq!(sym("g+s", 0o755, true), 0o2755);
        assert_eq!(sym("o+s", 0o755, false), 0o755, "s needs u or g");
        assert_eq!(sym("+t", 0o755, true), 0o1755);
        assert_eq!(sym("u+x-w", 0o644, false), 0o544);
        // X: directories, and files that already have an execute bit.
        assert_eq!(sym("a+X", 0o644, false), 0o644);
        assert_eq!(sym("a+X", 0o744, false), 0o755);
        assert_eq!(sym("a+X", 0o600, true), 0o711);
        assert_eq!(sym("g+X", 0o600, true), 0o610);
        for bad in ["u", "u+q", "z+x", "", "u+x,"] {
            assert!(parse_chmod(bad).is_err(), "{bad}");
        }
    }
}
