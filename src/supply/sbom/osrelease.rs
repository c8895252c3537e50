//! The distro of a tree from `/etc/os-release` (or `/usr/lib/os-release`, which it usually
//! links to): `KEY=value` lines, values optionally quoted with shell-style escapes.

use super::model::Distro;
use super::tree::{FileTree, TreeError};

const PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

/// Reads the distro; `None` when no os-release file names an `ID`.
pub fn read(tree: &dyn FileTree) -> Result<Option<Distro>, TreeError> {
    for p in PATHS {
        if let Some(b) = tree.read_file(p, 64 << 10)? {
            if let Some(d) = parse(&String::from_utf8_lossy(&b)) {
                return Ok(Some(d));
            }
        }
    }
    Ok(None)
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    let inner = if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        &v[1..v.len() - 1]
    } else {
        v
    };
    let mut out = String::new();
    let mut esc = false;
    for c in inner.chars() {
        if esc {
            out.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses os-release text.
pub fn parse(text: &str) -> Option<Distro> {
    let mut d = Distro::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = unquote(v);
        match k.trim() {
            "ID" => d.id = v,
            "VERSION_ID" => d.version_id = Some(v),
            "VERSION_CODENAME" => d.codename = Some(v),
            "PRETTY_NAME" => d.pretty_name = Some(v),
            _ => {}
        }
    }
    (!d.id.is_empty()).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian() {
        let d = parse("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\nVERSION_CODENAME=bookworm\n")
            .expect("distro");
        assert_eq!(d.qualifier(), "debian-12");
        assert_eq!(
            d.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
    }

    #[test]
    fn no_id() {
        assert!(parse("NAME=x\n").is_none());
    }
}
