//! Tar header parsing: a streaming reader that yields members with PAX records and GNU long
//! names applied, and gives the member data through `Read`. It never touches the disk.

use std::io::{self, Read};

use super::UnpackError;

/// Largest PAX or GNU long-name extension block accepted (they are held in memory).
const MAX_EXTENSION: u64 = 16 << 20;

/// One tar member with its PAX / GNU extensions applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// Member name (PAX `path` > GNU long name > ustar prefix/name).
    pub path: Vec<u8>,
    /// Link target for symlinks and hardlinks.
    pub link: Option<Vec<u8>>,
    /// Member type.
    pub kind: tar::EntryType,
    /// Permission bits as stored.
    pub mode: u32,
    /// Owner (PAX `uid` overrides).
    pub uid: u64,
    /// Group (PAX `gid` overrides).
    pub gid: u64,
    /// Seconds since the epoch (PAX `mtime` overrides; fractions dropped).
    pub mtime: i64,
    /// Data size (PAX `size` overrides).
    pub size: u64,
    /// Device numbers for character/block devices.
    pub dev: (u32, u32),
    /// `SCHILY.xattr.*` records, in stream order.
    pub xattrs: Vec<(String, Vec<u8>)>,
}

/// A streaming tar reader. Written here rather than using `tar::Archive` because that
/// crate's PAX parser splits records on newlines, which breaks on binary xattr values (e.g.
/// `security.capability`) and could let a crafted record change how later keys are read. The
/// `tar` crate's `Header` is still used to decode the fixed header fields.
pub struct TarReader<R> {
    inner: R,
    /// Data bytes of the current member not read yet.
    remaining: u64,
    /// Padding after the current member's data.
    pad: u64,
}

fn malformed(msg: &str) -> UnpackError {
    UnpackError::Tar(io::Error::new(io::ErrorKind::InvalidData, msg.to_string()))
}

/// Parse PAX extended header records (`LEN KEY=VALUE\n`, LEN counting the whole record).
pub fn parse_pax(data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, UnpackError> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.iter().all(|&b| b == 0) {
            break; // some writers pad with NULs
        }
        let sp = rest
            .iter()
            .take(21)
            .position(|&b| b == b' ')
            .ok_or_else(|| malformed("PAX record without a length"))?;
        let len: usize = std::str::from_utf8(rest.get(..sp).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| malformed("PAX record with a bad length"))?;
        let record = rest
            .get(..len)
            .ok_or_else(|| malformed("PAX record longer than its header"))?;
        let body = record
            .get(sp + 1..len.saturating_sub(1))
            .ok_or_else(|| malformed("PAX record too short"))?;
        if record.last() != Some(&b'\n') {
            return Err(malformed("PAX record not terminated by a newline"));
        }
        let eq = body
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| malformed("PAX record without '='"))?;
        let key = std::str::from_utf8(body.get(..eq).unwrap_or_default())
            .map_err(|_| malformed("PAX key is not UTF-8"))?;
        out.push((
            key.to_string(),
            body.get(eq + 1..).unwrap_or_default().to_vec(),
        ));
        rest = rest.get(len..).unwrap_or_default();
    }
    Ok(out)
}

impl<R: Read> TarReader<R> {
    /// Read tar members from `inner`.
    pub fn new(inner: R) -> Self {
        TarReader {
            inner,
            remaining: 0,
            pad: 0,
        }
    }

    /// The underlying reader, positioned after the end-of-archive block (or wherever reading
    /// stopped).
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn skip(&mut self, n: u64) -> Result<(), UnpackError> {
        let copied =
            io::copy(&mut (&mut self.inner).take(n), &mut io::sink()).map_err(UnpackError::Tar)?;
        if copied != n {
            return Err(malformed("unexpected end of layer"));
        }
        Ok(())
    }

    fn read_block(&mut self, block: &mut [u8; 512]) -> Result<bool, UnpackError> {
        let mut got = 0;
        while got < block.len() {
            match self.inner.read(&mut block[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(malformed("truncated tar header")),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(UnpackError::Tar(e)),
            }
        }
        Ok(true)
    }

    fn read_extension(&mut self, size: u64) -> Result<Vec<u8>, UnpackError> {
        if size > MAX_EXTENSION {
            return Err(malformed("extension header too large"));
        }
        let mut v = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        (&mut self.inner)
            .take(size)
            .read_to_end(&mut v)
            .map_err(UnpackError::Tar)?;
        if v.len() as u64 != size {
            return Err(malformed("unexpected end of layer"));
        }
        self.skip(padding(size))?;
        Ok(v)
    }

    /// The next member, or `None` at the end of the archive. Unread data of the previous
    /// member is skipped.
    pub fn next_entry(&mut self) -> Result<Option<TarEntry>, UnpackError> {
        let left = self.remaining + self.pad;
        self.remaining = 0;
        self.pad = 0;
        self.skip(left)?;
        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut pending = false;
        loop {
            let mut block = [0u8; 512];
            if !self.read_block(&mut block)? || block.iter().all(|&b| b == 0) {
                if pending {
                    return Err(malformed("extension header without a member"));
                }
                return Ok(None);
            }
            let mut header = tar::Header::new_old();
            header.as_mut_bytes().copy_from_slice(&block);
            let sum: u32 = block
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    if (148..156).contains(&i) {
                        32
                    } else {
                        u32::from(b)
                    }
                })
                .sum();
            if header.cksum().ok() != Some(sum) {
                return Err(malformed("tar header checksum mismatch"));
            }
            let old = header.as_old();
            let size = lenient(header.entry_size(), &old.size, "bad size field")?;
            let kind = header.entry_type();
            match kind {
                tar::EntryType::XHeader => {
                    let data = self.read_extension(size)?;
                    pax.extend(parse_pax(&data)?);
                    pending = true;
                    continue;
                }
                tar::EntryType::XGlobalHeader => {
                    self.skip(size + padding(size))?;
                    continue;
                }
                tar::EntryType::GNULongName | tar::EntryType::GNULongLink => {
                    let mut data = self.read_extension(size)?;
                    if let Some(nul) = data.iter().position(|&b| b == 0) {
                        data.truncate(nul);
                    }
                    if kind == tar::EntryType::GNULongName {
                        long_name = Some(data);
                    } else {
                        long_link = Some(data);
                    }
                    pending = true;
                    continue;
                }
                _ => {}
            }
            let num = |v: &[u8]| -> Option<i64> {
                std::str::from_utf8(v).ok()?.split('.').next()?.parse().ok()
            };
            let bad = |what: &str| malformed(what);
            let mut e = TarEntry {
                path: long_name.unwrap_or_else(|| header.path_bytes().into_owned()),
                link: long_link.or_else(|| header.link_name_bytes().map(|l| l.into_owned())),
                kind,
                mode: u32::try_from(lenient(
                    header.mode().map(u64::from),
                    &old.mode,
                    "bad mode field",
                )?)
                .unwrap_or(0),
                uid: lenient(header.uid(), &old.uid, "bad uid field")?,
                gid: lenient(header.gid(), &old.gid, "bad gid field")?,
                mtime: i64::try_from(lenient(header.mtime(), &old.mtime, "bad mtime field")?)
                    .unwrap_or(i64::MAX),
                size,
                dev: (
                    header.device_major().ok().flatten().unwrap_or(0),
                    header.device_minor().ok().flatten().unwrap_or(0),
                ),
                xattrs: Vec::new(),
            };
            for (k, v) in pax {
                match k.as_str() {
                    "path" => e.path = v,
                    "linkpath" => e.link = Some(v),
                    "size" => {
                        e.size = num(&v)
                            .and_then(|n| u64::try_from(n).ok())
                            .ok_or_else(|| bad("bad PAX size"))?
                    }
                    "uid" => e.uid = num(&v).and_then(|n| u64::try_from(n).ok()).unwrap_or(e.uid),
                    "gid" => e.gid = num(&v).and_then(|n| u64::try_from(n).ok()).unwrap_or(e.gid),
                    "mtime" => e.mtime = num(&v).unwrap_or(e.mtime),
                    _ => {
                        if let Some(name) = k.strip_prefix("SCHILY.xattr.") {
                            e.xattrs.push((name.to_string(), v));
                        } else if k.starts_with("GNU.sparse.") {
                            return Err(UnpackError::Unsupported {
                                path: String::from_utf8_lossy(&e.path).into_owned(),
                                kind: "PAX sparse file".into(),
                            });
                        }
                    }
                }
            }
            // Links, directories and devices carry no data whatever their size field says
            // (as Go's archive/tar, which containerd and BuildKit use, reads them).
            if matches!(
                e.kind,
                tar::EntryType::Link
                    | tar::EntryType::Symlink
                    | tar::EntryType::Directory
                    | tar::EntryType::Char
                    | tar::EntryType::Block
                    | tar::EntryType::Fifo
            ) {
                e.size = 0;
            }
            self.remaining = e.size;
            self.pad = padding(e.size);
            return Ok(Some(e));
        }
    }
}

/// A numeric header field; an all-NUL/space field reads as 0 (as most tar readers do).
fn lenient(parsed: io::Result<u64>, raw: &[u8], what: &str) -> Result<u64, UnpackError> {
    match parsed {
        Ok(v) => Ok(v),
        Err(_) if raw.iter().all(|&b| b == 0 || b == b' ') => Ok(0),
        Err(_) => Err(malformed(what)),
    }
}

fn padding(size: u64) -> u64 {
    (512 - size % 512) % 512
}

impl<R: Read> Read for TarReader<R> {
    /// Read the current member's data.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let max = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "layer ends inside a member",
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}
