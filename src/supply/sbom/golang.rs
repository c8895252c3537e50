//! Go binaries: the build info blob in the `.go.buildinfo` section. It starts with the
//! 14-byte magic `\xff Go buildinf:`, a pointer-size byte and a flags byte. With flag bit 1
//! (Go ≥ 1.18) the Go version and the module info follow inline at offset 32 as
//! varint-length-prefixed strings; before that, offsets 16 and 16+ptrsize hold pointers to Go
//! string headers (data pointer, length) that are resolved through the `PT_LOAD` segments.
//! The module info is framed by 16-byte sentinels and lists `path`, `mod`, `dep`, `=>`
//! (replacement of the preceding module) and `build` lines, tab-separated. A replacement by
//! another module takes its place; one by a local directory keeps the original path with the
//! version `(devel)`.

use super::elf::Elf;
use super::model::{Ecosystem, Package};
use super::purl;
use super::Found;

const MAGIC: &[u8] = b"\xff Go buildinf:";
const MAX_STRING: u64 = 4 << 20;

/// Go version and module info of a binary.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// `go1.22.1`.
    pub go_version: String,
    /// Main module (path, version, sum).
    pub main: Option<Module>,
    /// Dependencies, replacements applied.
    pub deps: Vec<Module>,
}

/// One module line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// Module path.
    pub path: String,
    /// Version (`(devel)` for a main module built from a work tree).
    pub version: String,
    /// `h1:` sum, when recorded.
    pub sum: Option<String>,
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some((x, i + 1));
        }
    }
    None
}

fn inline_string(b: &[u8], at: usize) -> Option<(String, usize)> {
    let (len, n) = uvarint(b.get(at..)?)?;
    let start = at + n;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    let s = b.get(start..end)?;
    Some((String::from_utf8_lossy(s).into_owned(), end))
}

fn pointer_string(elf: &Elf, header_addr: u64) -> Option<String> {
    let ptr = elf.ptr_size() as u64;
    let hdr = elf.read_vaddr(header_addr, 2 * ptr)?;
    let data = elf.ptr(&hdr, 0)?;
    let len = elf.ptr(&hdr, ptr as usize)?;
    if len == 0 {
        return Some(String::new());
    }
    if len > MAX_STRING {
        return None;
    }
    let s = elf.read_vaddr(data, len)?;
    Some(String::from_utf8_lossy(&s).into_owned())
}

/// Reads the build info of `elf`, if it is a Go binary.
pub fn read(elf: &Elf) -> Option<BuildInfo> {
    let sec = elf.section(".go.buildinfo")?;
    let data = elf.section_data(sec, 1 << 20)?;
    if data.len() < 32 || !data.starts_with(MAGIC) {
        return None;
    }
    let ptr_size = usize::from(data[14]);
    let flags = data[15];
    let (version, modinfo) = if flags & 2 != 0 {
        let (v, next) = inline_string(&data, 32)?;
        let (m, _) = inline_string(&data, next)?;
        (v, m)
    } else {
        if ptr_size != elf.ptr_size() {
            return None;
        }
        let vp = elf.ptr(&data, 16)?;
        let mp = elf.ptr(&data, 16 + ptr_size)?;
        (pointer_string(elf, vp)?, pointer_string(elf, mp)?)
    };
    Some(parse_modinfo(&version, &modinfo))
}

/// Parses module info text (sentinels stripped when present).
pub fn parse_modinfo(go_version: &str, modinfo: &str) -> BuildInfo {
    let bytes = modinfo.as_bytes();
    let text = if bytes.len() >= 33 && bytes[bytes.len() - 17] == b'\n' {
        String::from_utf8_lossy(&bytes[16..bytes.len() - 16]).into_owned()
    } else {
        modinfo.to_string()
    };
    let mut info = BuildInfo {
        go_version: go_version.to_string(),
        ..BuildInfo::default()
    };
    let mut last_was_main = false;
    for line in text.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let module = || Module {
            path: cols.get(1).copied().unwrap_or_default().to_string(),
            version: cols.get(2).copied().unwrap_or_default().to_string(),
            sum: cols.get(3).map(|s| s.to_string()).filter(|s| !s.is_empty()),
        };
        match cols.first().copied() {
            Some("mod") => {
                info.main = Some(module());
                last_was_main = true;
            }
            Some("dep") => {
                info.deps.push(module());
                last_was_main = false;
            }
            Some("=>") => {
                let mut m = module();
                // A local directory replacement keeps the module's identity.
                let local = ["./", "../", "/"].iter().any(|p| m.path.starts_with(p));
                let target = if last_was_main {
                    info.main.as_ref()
                } else {
                    info.deps.last()
                };
                if let (true, Some(t)) = (local, target) {
                    m.path = t.path.clone();
                    m.version = "(devel)".to_string();
                }
                if last_was_main {
                    info.main = Some(m);
                } else if let Some(d) = info.deps.last_mut() {
                    *d = m;
                }
            }
            _ => {}
        }
    }
    info
}

fn go_package(path: &str, version: &str, found_in: &str) -> Package {
    let (ns, n) = purl::go_parts(path);
    let v = (version != "(devel)" && !version.is_empty()).then_some(version);
    let purl = purl::build("golang", ns, n, v, &[]);
    Package::new(Ecosystem::Go, path, version, purl, found_in)
}

/// Packages of a Go binary: its main module, its dependencies and the standard library.
pub fn from_elf(elf: &Elf, path: &str) -> Found {
    let mut found = Found::default();
    let Some(info) = read(elf) else {
        return found;
    };
    if let Some(m) = &info.main {
        if !m.path.is_empty() {
            let mut p = go_package(&m.path, &m.version, path);
            p.checksum = m.sum.clone();
            found.packages.push(p);
        }
    }
    for d in &info.deps {
        let mut p = go_package(&d.path, &d.version, path);
        p.checksum = d.sum.clone();
        found.packages.push(p);
    }
    if !info.go_version.is_empty() {
        let purl = purl::build("golang", None, "stdlib", Some(&info.go_version), &[]);
        found.packages.push(Package::new(
            Ecosystem::Go,
            "stdlib",
            info.go_version.clone(),
            purl,
            path,
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modinfo_with_sentinels_and_replacements() {
        let body = "path\texample.com/cmd/x\nmod\texample.com\t(devel)\t\ndep\tgithub.com/a/b\tv1.0.0\th1:abc=\ndep\tgithub.com/c/d\tv0.1.0\th1:x=\n=>\tgithub.com/e/d\tv0.2.0\th1:y=\nbuild\t-compiler=gc\n";
        let framed = format!("{}{body}{}", "0".repeat(16), "1".repeat(16));
        let info = parse_modinfo("go1.21.0", &framed);
        assert_eq!(
            info.main.as_ref().map(|m| m.version.as_str()),
            Some("(devel)")
        );
        assert_eq!(info.deps.len(), 2);
        assert_eq!(info.deps[1].path, "github.com/e/d");
        assert_eq!(info.deps[1].version, "v0.2.0");
    }

    #[test]
    fn inline_strings() {
        let mut b = vec![0u8; 32];
        b.push(3);
        b.extend_from_slice(b"abc");
        b.push(2);
        b.extend_from_slice(b"de");
        let (s, next) = inline_string(&b, 32).expect("first");
        assert_eq!(s, "abc");
        assert_eq!(inline_string(&b, next).map(|x| x.0).as_deref(), Some("de"));
        assert!(inline_string(&[0x80, 0x80], 0).is_none());
    }

    #[test]
    fn devel_version_not_in_purl() {
        assert_eq!(
            go_package("example.com/x", "(devel)", "/x").purl,
            "pkg:golang/example.com/x"
        );
    }
}
