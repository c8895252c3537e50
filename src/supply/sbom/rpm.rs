//! rpm cataloger: the sqlite rpmdb of rpm ≥ 4.16 (`/var/lib/rpm/rpmdb.sqlite`, also
//! `/usr/lib/sysimage/rpm/rpmdb.sqlite`). The `Packages` table holds one rpm header blob per
//! package, parsed here: big-endian index count and data length, 16-byte index entries (tag,
//! type, offset, count) and the data store. The database is read into memory (no journal or
//! lock files are touched, the image stays read-only) and opened with rusqlite.
//!
//! Without a sqlite database, the legacy Berkeley DB (`Packages`) and ndb (`Packages.db`)
//! databases are read by [`super::rpmdb_legacy`] and their blobs parsed the same way.

use rusqlite::{Connection, OpenFlags, MAIN_DB};

use super::model::{Distro, Ecosystem, Package};
use super::purl;
use super::rpmdb_legacy::{self, Format};
use super::tree::{FileTree, TreeError};
use super::Found;

const DBS: [&str; 2] = [
    "/var/lib/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
];
const LEGACY: [&str; 4] = [
    "/var/lib/rpm/Packages",
    "/var/lib/rpm/Packages.db",
    "/usr/lib/sysimage/rpm/Packages",
    "/usr/lib/sysimage/rpm/Packages.db",
];
const MAX_DB: u64 = 1 << 30;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_VENDOR: u32 = 1011;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// A malformed header blob.
#[derive(Debug, thiserror::Error)]
#[error("rpm header: {0}")]
pub struct HeaderError(String);

/// A parsed rpm header: index entries over a data store.
pub struct Header<'a> {
    entries: Vec<(u32, u32, u32, u32)>,
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    /// Parses a header blob as rpmdb stores it (no leading magic).
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, HeaderError> {
        let il = be32(blob, 0).ok_or_else(|| HeaderError("shorter than 8 bytes".into()))? as usize;
        let dl = be32(blob, 4).ok_or_else(|| HeaderError("shorter than 8 bytes".into()))? as usize;
        if il > 0x10000 || dl > 0x1000_0000 {
            return Err(HeaderError(format!(
                "implausible sizes ({il} entries, {dl} data bytes)"
            )));
        }
        let start = 8 + il * 16;
        let data = blob
            .get(start..start + dl)
            .ok_or_else(|| HeaderError(format!("{} bytes, need {}", blob.len(), start + dl)))?;
        let mut entries = Vec::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * 16;
            let e = (
                be32(blob, at).unwrap_or(0),
                be32(blob, at + 4).unwrap_or(0),
                be32(blob, at + 8).unwrap_or(0),
                be32(blob, at + 12).unwrap_or(0),
            );
            entries.push(e);
        }
        Ok(Header { entries, data })
    }

    fn entry(&self, tag: u32) -> Option<(u32, usize, usize)> {
        self.entries
            .iter()
            .find(|e| e.0 == tag)
            .map(|e| (e.1, e.2 as usize, e.3 as usize))
    }

    fn strings_at(&self, off: usize, count: usize) -> Option<Vec<String>> {
        let mut out = Vec::with_capacity(count.min(4096));
        let mut pos = off;
        for _ in 0..count {
            let rest = self.data.get(pos..)?;
            let end = rest.iter().position(|&b| b == 0)?;
            out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
            pos += end + 1;
        }
        Some(out)
    }

    /// A STRING / I18NSTRING tag (first value).
    pub fn string(&self, tag: u32) -> Option<String> {
        let (ty, off, count) = self.entry(tag)?;
        match ty {
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY => {
                self.strings_at(off, count.max(1))?.into_iter().next()
            }
            _ => None,
        }
    }

    /// A STRING_ARRAY tag.
    pub fn strings(&self, tag: u32) -> Option<Vec<String>> {
        let (ty, off, count) = self.entry(tag)?;
        (ty == TYPE_STRING_ARRAY || ty == TYPE_STRING).then_some(())?;
        self.strings_at(off, count)
    }

    /// An INT32 array tag.
    pub fn ints(&self, tag: u32) -> Option<Vec<u32>> {
        let (ty, off, count) = self.entry(tag)?;
        (ty == TYPE_INT32).then_some(())?;
        (0..count).map(|i| be32(self.data, off + i * 4)).collect()
    }
}

/// Catalogs rpm packages.
pub fn catalog(tree: &dyn FileTree, distro: Option<&Distro>) -> Result<Found, TreeError> {
    let mut found = Found::default();
    let mut any = false;
    for db in DBS {
        let Some(bytes) = tree.read_file(db, MAX_DB)? else {
            continue;
        };
        any = true;
        let layer = tree.layer_of(db)?;
        let blobs = read_db(bytes).map_err(|e| e.to_string());
        add_packages(&mut found, blobs, db, layer, distro);
    }
    if !any {
        for db in LEGACY {
            let format = if db.ends_with(".db") {
                Format::Ndb
            } else {
                Format::Bdb
            };
            let Some(bytes) = tree.read_file(db, MAX_DB)? else {
                continue;
            };
            let layer = tree.layer_of(db)?;
            let blobs = rpmdb_legacy::read(format, &bytes).map_err(|e| e.to_string());
            add_packages(&mut found, blobs, db, layer, distro);
        }
    }
    Ok(found)
}

/// Adds the packages of the header blobs read from `db` (or a warning when it could not be
/// read, or for a blob that is not a valid header).
fn add_packages<I: std::fmt::Display>(
    found: &mut Found,
    blobs: Result<Vec<(I, Vec<u8>)>, String>,
    db: &str,
    layer: Option<usize>,
    distro: Option<&Distro>,
) {
    let blobs = match blobs {
        Ok(b) => b,
        Err(e) => {
            found.warn(format!(
                "{db}: cannot read the rpm database: {e}; its packages are missing from the SBOM"
            ));
            return;
        }
    };
    for (id, blob) in blobs {
        match package(&blob, distro, db) {
            Ok(Some(mut p)) => {
                p.layer = layer;
                found.packages.push(p);
            }
            Ok(None) => {}
            Err(e) => found.warn(format!("{db}: package {id}: {e}")),
        }
    }
}

/// Reads every (hnum, blob) of the `Packages` table of an in-memory copy of the database.
fn read_db(mut bytes: Vec<u8>) -> Result<Vec<(i64, Vec<u8>)>, rusqlite::Error> {
    // A WAL-mode file (header bytes 18/19 = 2) cannot be opened from memory; the committed
    // content is the same in rollback mode.
    if bytes.len() > 19 && bytes.starts_with(b"SQLite format 3\0") {
        bytes[18] = 1;
        bytes[19] = 1;
    }
    let mut conn = Connection::open_in_memory_with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let len = bytes.len();
    conn.deserialize_read_exact(MAIN_DB, &bytes[..], len, true)?;
    let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    rows.collect()
}

fn package(blob: &[u8], distro: Option<&Distro>, db: &str) -> Result<Option<Package>, HeaderError> {
    let h = Header::parse(blob)?;
    let Some(name) = h.string(TAG_NAME) else {
        return Ok(None);
    };
    let version = h.string(TAG_VERSION).unwrap_or_default();
    let release = h.string(TAG_RELEASE);
    let epoch = h.ints(TAG_EPOCH).and_then(|v| v.first().copied());
    let arch = h.string(TAG_ARCH);
    let mut full = version.clone();
    if let Some(r) = &release {
        full = format!("{full}-{r}");
    }
    let full_with_epoch = match epoch {
        Some(e) => format!("{e}:{full}"),
        None => full.clone(),
    };
    let ns = distro.map(|d| d.id.as_str());
    let q = distro.map(Distro::qualifier);
    let epoch_s = epoch.map(|e| e.to_string());
    let source = h.string(TAG_SOURCERPM);
    let purl = purl::build(
        "rpm",
        ns,
        &name,
        Some(&full),
        &[
            ("arch", arch.as_deref()),
            ("epoch", epoch_s.as_deref()),
            ("distro", q.as_deref()),
            ("upstream", source.as_deref()),
        ],
    );
    let mut p = Package::new(Ecosystem::Rpm, name, full_with_epoch, purl, db);
    p.arch = arch;
    p.source = source;
    p.supplier = h.string(TAG_VENDOR);
    if let Some(l) = h.string(TAG_LICENSE).filter(|l| !l.is_empty()) {
        p.licenses = vec![super::license::to_spdx(&l).unwrap_or(l)];
    }
    if let (Some(dirs), Some(names), Some(idx)) = (
        h.strings(TAG_DIRNAMES),
        h.strings(TAG_BASENAMES),
        h.ints(TAG_DIRINDEXES),
    ) {
        let mut files: Vec<String> = names
            .iter()
            .zip(idx)
            .filter_map(|(n, i)| dirs.get(i as usize).map(|d| format!("{d}{n}")))
            .collect();
        files.sort();
        files.dedup();
        p.files = files;
    }
    Ok(Some(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(entries: &[(u32, u32, &[u8], u32)]) -> Vec<u8> {
        let mut idx = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, bytes, count) in entries {
            idx.extend(tag.to_be_bytes());
            idx.extend(ty.to_be_bytes());
            idx.extend((data.len() as u32).to_be_bytes());
            idx.extend(count.to_be_bytes());
            data.extend_from_slice(bytes);
        }
        let mut out = Vec::new();
        out.extend((entries.len() as u32).to_be_bytes());
        out.extend((data.len() as u32).to_be_bytes());
        out.extend(idx);
        out.extend(data);
        out
    }

    #[test]
    fn header_fields_and_files() {
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, b"hello\0", 1),
            (TAG_VERSION, TYPE_STRING, b"1.0\0", 1),
            (TAG_RELEASE, TYPE_STRING, b"2\0", 1),
            (TAG_EPOCH, TYPE_INT32, &3u32.to_be_bytes(), 1),
            (TAG_ARCH, TYPE_STRING, b"noarch\0", 1),
            (TAG_LICENSE, TYPE_STRING, b"MIT\0", 1),
            (TAG_DIRNAMES, TYPE_STRING_ARRAY, b"/usr/bin/\0/etc/\0", 2),
            (TAG_BASENAMES, TYPE_STRING_ARRAY, b"hello\0hello.conf\0", 2),
            (TAG_DIRINDEXES, TYPE_INT32, &[0, 0, 0, 0, 0, 0, 0, 1][..], 2),
        ]);
        let d = Distro {
            id: "fedora".into(),
            version_id: Some("40".into()),
            ..Distro::default()
        };
        let p = package(&b, Some(&d), "/var/lib/rpm/rpmdb.sqlite")
            .ok()
            .flatten()
            .expect("package");
        assert_eq!(p.version, "3:1.0-2");
        assert_eq!(
            p.purl,
            "pkg:rpm/fedora/hello@1.0-2?arch=noarch&distro=fedora-40&epoch=3"
        );
        assert_eq!(p.files, vec!["/etc/hello.conf", "/usr/bin/hello"]);
        assert_eq!(p.licenses, vec!["MIT"]);
    }

    #[test]
    fn truncated_header_is_an_error() {
        assert!(Header::parse(&[0, 0, 0, 5, 0, 0, 0, 9, 1, 2]).is_err());
        assert!(Header::parse(&[0, 0]).is_err());
    }
}
