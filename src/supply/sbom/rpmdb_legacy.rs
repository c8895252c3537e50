//! Readers for the two legacy rpm database formats that hold one header blob per package:
//!
//! - **ndb** (`Packages.db`, rpm's own format, SUSE and some Fedora builds): a 16-byte-block
//!   file that starts with slot pages (4 KiB each; the first two 16-byte slots are the file
//!   header `RpmP`, version 0, generation, slot page count). Each slot (`Slot`, package index,
//!   block offset, block count) points at a blob (`BlbS`, package index, checksum, length,
//!   then the header blob).
//! - **Berkeley DB hash** (`Packages`, RHEL/CentOS ≤ 8, older Fedora): a metadata page (magic
//!   0x061561, page size, last page number), then hash pages whose index holds key/value item
//!   offsets; a value is either stored on the page (`H_KEYDATA`) or, for large headers, on a
//!   chain of overflow pages (`H_OFFPAGE` → `P_OVERFLOW` pages linked by next-page numbers).
//!
//! No maintained crate reads either format, so both are read here, by hand, from an in-memory
//! copy of the file: every offset, length and page number comes from the file and is checked
//! against it, overflow chains are bounded by the page count and refuse to revisit a page,
//! and the blobs are capped in size, so a crafted database gives a [`LegacyError`], never a
//! panic, a loop or a huge allocation. The blobs go to the header parser in [`super::rpm`].

use std::collections::HashSet;

/// The format of a legacy database file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// rpm's ndb (`Packages.db`).
    Ndb,
    /// Berkeley DB hash (`Packages`).
    Bdb,
}

/// A malformed legacy database.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LegacyError(String);

fn bad(msg: impl Into<String>) -> LegacyError {
    LegacyError(msg.into())
}

/// Largest header blob accepted (rpm itself caps headers at 256 MiB of data).
const MAX_BLOB: usize = 64 << 20;

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads every package header blob of a legacy database, in file order, with an identifier
/// (ndb package index, bdb header instance number).
pub fn read(format: Format, bytes: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, LegacyError> {
    match format {
        Format::Ndb => read_ndb(bytes),
        Format::Bdb => read_bdb(bytes),
    }
}

const NDB_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const NDB_SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const NDB_BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const NDB_PAGE: usize = 4096;
const NDB_BLOCK: usize = 16;

fn read_ndb(b: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, LegacyError> {
    if le32(b, 0) != Some(NDB_MAGIC) {
        return Err(bad("not an rpm ndb database (no RpmP magic)"));
    }
    let version = le32(b, 4).unwrap_or(u32::MAX);
    if version != 0 {
        return Err(bad(format!("unsupported ndb version {version}")));
    }
    let pages = le32(b, 12).unwrap_or(0) as usize;
    let slots_end = pages
        .checked_mul(NDB_PAGE)
        .filter(|&n| pages > 0 && n <= b.len())
        .ok_or_else(|| {
            bad(format!(
                "the header claims {pages} slot pages, the file has {} bytes",
                b.len()
            ))
        })?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    // The first two 16-byte slots are the file header.
    for at in (2 * NDB_BLOCK..slots_end).step_by(NDB_BLOCK) {
        let (Some(magic), Some(pkg), Some(off), Some(count)) = (
            le32(b, at),
            le32(b, at + 4),
            le32(b, at + 8),
            le32(b, at + 12),
        ) else {
            break;
        };
        if magic != NDB_SLOT_MAGIC {
            return Err(bad(format!("slot at byte {at}: bad magic {magic:#x}")));
        }
        if pkg == 0 {
            continue;
        }
        if !seen.insert(pkg) {
            return Err(bad(format!("package {pkg} has two slots")));
        }
        let start = (off as usize)
            .checked_mul(NDB_BLOCK)
            .filter(|&s| s >= slots_end)
            .ok_or_else(|| bad(format!("package {pkg}: blob offset {off} inside the slots")))?;
        let blocks_end = (count as usize)
            .checked_mul(NDB_BLOCK)
            .and_then(|n| n.checked_add(start))
            .filter(|&e| e <= b.len())
            .ok_or_else(|| {
                bad(format!(
                    "package {pkg}: {count} blocks at block {off} run past the end of the file"
                ))
            })?;
        let blk = &b[start..blocks_end];
        if le32(blk, 0) != Some(NDB_BLOB_MAGIC) {
            return Err(bad(format!("package {pkg}: no blob at block {off}")));
        }
        if le32(blk, 4) != Some(pkg) {
            return Err(bad(format!(
                "package {pkg}: the blob at block {off} belongs to another package"
            )));
        }
        let len = le32(blk, 12).unwrap_or(0) as usize;
        let blob = blk
            .get(16..16usize.saturating_add(len))
            .filter(|_| len <= MAX_BLOB)
            .ok_or_else(|| {
                bad(format!(
                    "package {pkg}: a {len}-byte blob does not fit its {count} blocks"
                ))
            })?;
        out.push((pkg, blob.to_vec()));
    }
    Ok(out)
}

const BDB_HASH_MAGIC: u32 = 0x0006_1561;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
/// Size of the common page header (LSN, page number, prev/next page, entries, free offset,
/// level, type).
const PAGE_HEADER: usize = 26;

/// A Berkeley DB file with its byte order and page size.
struct Bdb<'a> {
    b: &'a [u8],
    big_endian: bool,
    page_size: usize,
    pages: usize,
}

impl<'a> Bdb<'a> {
    fn u32(&self, at: usize) -> Option<u32> {
        let s = self.b.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }

    fn u16(&self, at: usize) -> Option<u16> {
        let s = self.b.get(at..at.checked_add(2)?)?;
        let a = [s[0], s[1]];
        Some(if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    }

    fn page(&self, n: usize) -> Result<&'a [u8], LegacyError> {
        let start = n
            .checked_mul(self.page_size)
            .ok_or_else(|| bad(format!("page {n} is out of range")))?;
        self.b
            .get(start..start.saturating_add(self.page_size))
            .filter(|p| p.len() == self.page_size)
            .ok_or_else(|| bad(format!("page {n} lies past the end of the file")))
    }

    /// The value stored on overflow pages from `first`, `total` bytes long.
    fn overflow(&self, first: u32, total: u32) -> Result<Vec<u8>, LegacyError> {
        let total = total as usize;
        if total > MAX_BLOB {
            return Err(bad(format!("a {total}-byte value is larger than accepted")));
        }
        let mut out = Vec::with_capacity(total);
        let mut seen = HashSet::new();
        let mut n = first;
        while n != 0 {
            if !seen.insert(n) || seen.len() > self.pages {
                return Err(bad(format!("the overflow chain from page {first} loops")));
            }
            let p = self.page(n as usize)?;
            let base = n as usize * self.page_size;
            if p[25] != P_OVERFLOW {
                return Err(bad(format!(
                    "page {n} of an overflow chain is of type {}",
                    p[25]
                )));
            }
            // On overflow pages the free-offset field holds the bytes used on the page.
            let used = self.u16(base + 22).unwrap_or(0) as usize;
            let data = p
                .get(PAGE_HEADER..PAGE_HEADER + used)
                .ok_or_else(|| bad(format!("overflow page {n} claims {used} bytes")))?;
            if out.len() + data.len() > total {
                return Err(bad(format!(
                    "the overflow chain from page {first} holds more than its {total} bytes"
                )));
            }
            out.extend_from_slice(data);
            n = self.u32(base + 16).unwrap_or(0);
        }
        if out.len() != total {
            return Err(bad(format!(
                "the overflow chain from page {first} holds {} of its {total} bytes",
                out.len()
            )));
        }
        Ok(out)
    }
}

fn read_bdb(b: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, LegacyError> {
    let magic = le32(b, 12).ok_or_else(|| bad("shorter than a Berkeley DB metadata page"))?;
    let big_endian = if magic == BDB_HASH_MAGIC {
        false
    } else if magic.swap_bytes() == BDB_HASH_MAGIC {
        true
    } else {
        return Err(bad(format!(
            "not a Berkeley DB hash database (magic {magic:#x})"
        )));
    };
    let mut db = Bdb {
        b,
        big_endian,
        page_size: 0,
        pages: 0,
    };
    let page_size = db.u32(20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(bad(format!("unexpected page size {page_size}")));
    }
    if b.get(24) != Some(&0) {
        return Err(bad("the database is encrypted"));
    }
    if b.get(25) != Some(&P_HASHMETA) {
        return Err(bad("the first page is not hash metadata"));
    }
    let last = db.u32(32).unwrap_or(0) as usize;
    let pages = b.len() / page_size;
    if last >= pages {
        return Err(bad(format!(
            "the metadata names page {last} as the last, the file has {pages} pages"
        )));
    }
    db.page_size = page_size;
    db.pages = pages;
    let mut out = Vec::new();
    for n in 1..=last {
        let p = db.page(n)?;
        let base = n * page_size;
        if p[25] != P_HASH && p[25] != P_HASH_UNSORTED {
            continue;
        }
        let entries = db.u16(base + 20).unwrap_or(0) as usize;
        if PAGE_HEADER + entries * 2 > page_size {
            return Err(bad(format!("hash page {n} claims {entries} entries")));
        }
        // Items come in key/value pairs; values are the odd ones.
        for i in (1..entries).step_by(2) {
            let off = db.u16(base + PAGE_HEADER + i * 2).unwrap_or(0) as usize;
            // Items are packed from the end of the page down: an item ends where the one
            // before it in the index starts.
            let end = db.u16(base + PAGE_HEADER + (i - 1) * 2).unwrap_or(0) as usize;
            if off < PAGE_HEADER + entries * 2 || off >= page_size || end > page_size {
                return Err(bad(format!("hash page {n}: item {i} at offset {off}")));
            }
            // rpm's keys are 4-byte header instance numbers; instance 0 holds rpm's
            // bookkeeping (the next free instance), not a header.
            let key = if p[end.min(page_size - 1)] == H_KEYDATA {
                let kend = match i {
                    1 => page_size,
                    _ => db.u16(base + PAGE_HEADER + (i - 2) * 2).unwrap_or(0) as usize,
                };
                (kend == end + 5).then(|| db.u32(base + end + 1)).flatten()
            } else {
                None
            };
            if key == Some(0) {
                continue;
            }
            let id = key.unwrap_or(out.len() as u32 + 1);
            match p[off] {
                H_OFFPAGE => {
                    let (Some(first), Some(len)) = (db.u32(base + off + 4), db.u32(base + off + 8))
                    else {
                        return Err(bad(format!("hash page {n}: item {i} is cut short")));
                    };
                    if off + 12 > page_size {
                        return Err(bad(format!("hash page {n}: item {i} is cut short")));
                    }
                    let blob = db
                        .overflow(first, len)
                        .map_err(|e| bad(format!("hash page {n}, item {i}: {e}")))?;
                    out.push((id, blob));
                }
                H_KEYDATA => {
                    if end <= off {
                        return Err(bad(format!("hash page {n}: item {i} has no length")));
                    }
                    out.push((id, p[off + 1..end].to_vec()));
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ndb(blobs: &[(u32, &[u8])]) -> Vec<u8> {
        let mut f = vec![0u8; NDB_PAGE];
        f[0..4].copy_from_slice(b"RpmP");
        f[12..16].copy_from_slice(&1u32.to_le_bytes());
        for i in 2..NDB_PAGE / NDB_BLOCK {
            f[i * 16..i * 16 + 4].copy_from_slice(b"Slot");
        }
        for (i, (pkg, blob)) in blobs.iter().enumerate() {
            let blk = f.len() / NDB_BLOCK;
            let mut b = Vec::new();
            b.extend_from_slice(b"BlbS");
            b.extend_from_slice(&pkg.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            b.extend_from_slice(blob);
            b.resize(b.len().div_ceil(NDB_BLOCK) * NDB_BLOCK + NDB_BLOCK, 0);
            let slot = (i + 2) * 16;
            f[slot + 4..slot + 8].copy_from_slice(&pkg.to_le_bytes());
            f[slot + 8..slot + 12].copy_from_slice(&(blk as u32).to_le_bytes());
            f[slot + 12..slot + 16].copy_from_slice(&((b.len() / NDB_BLOCK) as u32).to_le_bytes());
            f.extend(b);
        }
        f
    }

    #[test]
    fn ndb_round_trip_and_hostile_inputs() {
        let f = ndb(&[(1, b"first"), (7, b"second blob")]);
        let got = read(Format::Ndb, &f).unwrap_or_default();
        assert_eq!(
            got,
            vec![(1, b"first".to_vec()), (7, b"second blob".to_vec())]
        );
        // Every truncation is an error or a shorter list, never a panic.
        for n in 0..f.len() {
            let _ = read(Format::Ndb, &f[..n]);
        }
        assert!(read(Format::Ndb, &f[..f.len() - 20]).is_err());
        // A huge blob length, a slot pointing into the slot pages, garbage.
        let mut g = f.clone();
        g[NDB_PAGE + 12..NDB_PAGE + 16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(Format::Ndb, &g).is_err());
        let mut g = f.clone();
        g[40..44].copy_from_slice(&1u32.to_le_bytes());
        assert!(read(Format::Ndb, &g).is_err());
        let mut g = f.clone();
        g[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(Format::Ndb, &g).is_err());
        assert!(read(Format::Ndb, b"garbage garbage garbage").is_err());
    }

    /// A little-endian bdb hash file: metadata, one hash page, overflow pages.
    fn bdb(page_size: usize, values: &[&[u8]]) -> Vec<u8> {
        let mut f = vec![0u8; page_size * 2];
        f[12..16].copy_from_slice(&BDB_HASH_MAGIC.to_le_bytes());
        f[20..24].copy_from_slice(&(page_size as u32).to_le_bytes());
        f[25] = P_HASHMETA;
        let hp = page_size;
        f[hp + 25] = P_HASH;
        f[hp + 20..hp + 22].copy_from_slice(&((values.len() * 2) as u16).to_le_bytes());
        let mut top = page_size;
        for (i, v) in values.iter().enumerate() {
            // The key: a 4-byte instance number stored on the page.
            top -= 5;
            f[hp + top] = H_KEYDATA;
            f[hp + top + 1..hp + top + 5].copy_from_slice(&(i as u32 + 1).to_le_bytes());
            let ki = PAGE_HEADER + i * 4;
            f[hp + ki..hp + ki + 2].copy_from_slice(&(top as u16).to_le_bytes());
            top -= 12;
            f[hp + top] = H_OFFPAGE;
            let first = f.len() / page_size;
            f[hp + top + 4..hp + top + 8].copy_from_slice(&(first as u32).to_le_bytes());
            f[hp + top + 8..hp + top + 12].copy_from_slice(&(v.len() as u32).to_le_bytes());
            f[hp + ki + 2..hp + ki + 4].copy_from_slice(&(top as u16).to_le_bytes());
            let chunks: Vec<&[u8]> = v.chunks(page_size - PAGE_HEADER).collect();
            for (c, chunk) in chunks.iter().enumerate() {
                let base = f.len();
                f.resize(base + page_size, 0);
                f[base + 25] = P_OVERFLOW;
                f[base + 22..base + 24].copy_from_slice(&(chunk.len() as u16).to_le_bytes());
                if c + 1 < chunks.len() {
                    let next = f.len() / page_size;
                    f[base + 16..base + 20].copy_from_slice(&(next as u32).to_le_bytes());
                }
                f[base + PAGE_HEADER..base + PAGE_HEADER + chunk.len()].copy_from_slice(chunk);
            }
        }
        let last = f.len() / page_size - 1;
        f[32..36].copy_from_slice(&(last as u32).to_le_bytes());
        f
    }

    #[test]
    fn bdb_values_stored_on_the_hash_page() {
        // Items packed from the end of the page: key 0 (rpm's bookkeeping, skipped) and
        // its value, then key 5 and an inline header value.
        let ps = 512;
        let mut f = vec![0u8; ps * 2];
        f[12..16].copy_from_slice(&BDB_HASH_MAGIC.to_le_bytes());
        f[20..24].copy_from_slice(&(ps as u32).to_le_bytes());
        f[25] = P_HASHMETA;
        f[32..36].copy_from_slice(&1u32.to_le_bytes());
        let hp = ps;
        f[hp + 25] = P_HASH;
        let items: [&[u8]; 4] = [
            &0u32.to_le_bytes(),
            &9u32.to_le_bytes(),
            &5u32.to_le_bytes(),
            b"inline header",
        ];
        f[hp + 20..hp + 22].copy_from_slice(&(items.len() as u16).to_le_bytes());
        let mut top = ps;
        for (i, it) in items.iter().enumerate() {
            top -= it.len() + 1;
            f[hp + top] = H_KEYDATA;
            f[hp + top + 1..hp + top + 1 + it.len()].copy_from_slice(it);
            let at = hp + PAGE_HEADER + i * 2;
            f[at..at + 2].copy_from_slice(&(top as u16).to_le_bytes());
        }
        let got = read(Format::Bdb, &f).unwrap_or_default();
        assert_eq!(got, vec![(5, b"inline header".to_vec())]);
        // An item offset inside the index is refused.
        let mut g = f.clone();
        g[hp + PAGE_HEADER + 6..hp + PAGE_HEADER + 8].copy_from_slice(&3u16.to_le_bytes());
        assert!(read(Format::Bdb, &g).is_err());
    }

    #[test]
    fn bdb_round_trip_and_hostile_inputs() {
        let big: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
        let f = bdb(512, &[b"small header", &big]);
        let got = read(Format::Bdb, &f).unwrap_or_default();
        assert_eq!(got, vec![(1, b"small header".to_vec()), (2, big.clone())]);
        for n in 0..f.len() {
            let _ = read(Format::Bdb, &f[..n]);
        }
        // Truncated: the metadata names pages the file lacks.
        assert!(read(Format::Bdb, &f[..f.len() - 512]).is_err());
        // A cyclic overflow chain: the last page of the big value points back to its first.
        let mut g = f.clone();
        let first = 3usize; // pages: 0 meta, 1 hash, 2 small value, 3.. big value
        let last = g.len() / 512 - 1;
        g[last * 512 + 16..last * 512 + 20].copy_from_slice(&(first as u32).to_le_bytes());
        let e = read(Format::Bdb, &g).err().map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("loops"));
        // A value length far beyond what its pages hold.
        let mut g = f.clone();
        let hp = 512;
        let vi = u16::from_le_bytes([g[hp + PAGE_HEADER + 6], g[hp + PAGE_HEADER + 7]]) as usize;
        g[hp + vi + 8..hp + vi + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(Format::Bdb, &g).is_err());
        // An overflow page number past the end.
        let mut g = f.clone();
        g[hp + vi + 4..hp + vi + 8].copy_from_slice(&9999u32.to_le_bytes());
        assert!(read(Format::Bdb, &g).is_err());
        // Garbage, and a wrong page size.
        assert!(read(Format::Bdb, &[0xAB; 4096]).is_err());
        let mut g = f.clone();
        g[20..24].copy_from_slice(&1000u32.to_le_bytes());
        assert!(read(Format::Bdb, &g).is_err());
    }
}
