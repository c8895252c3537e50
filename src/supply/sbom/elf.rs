//! Just enough ELF to find a named section and map virtual addresses to file offsets, reading
//! with positioned reads (a few KiB per binary instead of the whole file). Written by hand
//! because the catalogers need only section headers and `PT_LOAD` segments of 32/64-bit,
//! little/big-endian files; every offset and size is bounds-checked against the file.

use std::fs::File;
use std::os::unix::fs::FileExt;

/// Bytes read by the first positioned read.
const HEAD: usize = 4096;

/// Upper bound on section/segment header tables.
const MAX_HEADERS: u64 = 1 << 16;

/// A parsed ELF file.
pub struct Elf {
    file: File,
    len: u64,
    is64: bool,
    le: bool,
    sections: Vec<Section>,
    segments: Vec<Segment>,
}

/// One section header.
#[derive(Clone, Debug)]
pub struct Section {
    /// Name from `.shstrtab`.
    pub name: String,
    /// Virtual address (0 when not loaded).
    pub addr: u64,
    /// File offset.
    pub offset: u64,
    /// Size in the file.
    pub size: u64,
    /// `SHT_NOBITS` sections occupy no file bytes.
    pub nobits: bool,
}

#[derive(Clone, Debug)]
struct Segment {
    vaddr: u64,
    offset: u64,
    filesz: u64,
}

impl Elf {
    /// Parses the headers of `file`; `None` when it is not an ELF file or is malformed.
    pub fn parse(file: File) -> Option<Elf> {
        let len = file.metadata().ok()?.len();
        Elf::parse_sized(file, len)
    }

    /// [`Elf::parse`] for a file whose length the caller already knows. The first read takes
    /// [`HEAD`] bytes, which usually hold the program headers too.
    pub fn parse_sized(file: File, len: u64) -> Option<Elf> {
        let mut ident = vec![0u8; HEAD];
        let n = file.read_at(&mut ident, 0).ok()?;
        ident.truncate(n);
        if n < 52 || &ident[..4] != b"\x7fELF" {
            return None;
        }
        let is64 = match ident[4] {
            1 => false,
            2 => true,
            _ => return None,
        };
        let le = match ident[5] {
            1 => true,
            2 => false,
            _ => return None,
        };
        if is64 && n < 64 {
            return None;
        }
        let mut elf = Elf {
            file,
            len,
            is64,
            le,
            sections: Vec::new(),
            segments: Vec::new(),
        };
        let h = &ident[..];
        let (phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx) = if is64 {
            (
                elf.u64(h, 32)?,
                elf.u64(h, 40)?,
                elf.u16(h, 54)? as u64,
                elf.u16(h, 56)? as u64,
                elf.u16(h, 58)? as u64,
                elf.u16(h, 60)? as u64,
                elf.u16(h, 62)? as u64,
            )
        } else {
            (
                elf.u32(h, 28)? as u64,
                elf.u32(h, 32)? as u64,
                elf.u16(h, 42)? as u64,
                elf.u16(h, 44)? as u64,
                elf.u16(h, 46)? as u64,
                elf.u16(h, 48)? as u64,
                elf.u16(h, 50)? as u64,
            )
        };
        if phnum > 0 && phnum < MAX_HEADERS {
            let size = phentsize.checked_mul(phnum)?;
            let end = phoff.checked_add(size)?;
            let table = match h.get(phoff as usize..end as usize) {
                Some(t) if end <= elf.len => t.to_vec(),
                _ => elf.read(phoff, size)?,
            };
            for i in 0..phnum as usize {
                let e = table.get(i * phentsize as usize..)?;
                let ty = elf.u32(e, 0)?;
                if ty != 1 {
                    continue; // PT_LOAD only
                }
                let seg = if is64 {
                    Segment {
                        offset: elf.u64(e, 8)?,
                        vaddr: elf.u64(e, 16)?,
                        filesz: elf.u64(e, 32)?,
                    }
                } else {
                    Segment {
                        offset: elf.u32(e, 4)? as u64,
                        vaddr: elf.u32(e, 8)? as u64,
                        filesz: elf.u32(e, 16)? as u64,
                    }
                };
                elf.segments.push(seg);
            }
        }
        if shnum > 0 && shnum < MAX_HEADERS && shstrndx < shnum {
            let table = elf.read(shoff, shentsize.checked_mul(shnum)?)?;
            let mut raw = Vec::new();
            for i in 0..shnum as usize {
                let e = table.get(i * shentsize as usize..)?;
                let (name, ty, addr, offset, size) = if is64 {
                    (
                        elf.u32(e, 0)?,
                        elf.u32(e, 4)?,
                        elf.u64(e, 16)?,
                        elf.u64(e, 24)?,
                        elf.u64(e, 32)?,
                    )
                } else {
                    (
                        elf.u32(e, 0)?,
                        elf.u32(e, 4)?,
                        elf.u32(e, 12)? as u64,
                        elf.u32(e, 16)? as u64,
                        elf.u32(e, 20)? as u64,
                    )
                };
                raw.push((name, ty, addr, offset, size));
            }
            let (_, _, _, stroff, strsize) = *raw.get(shstrndx as usize)?;
            let strtab = elf.read(stroff, strsize.min(1 << 20))?;
            for (name, ty, addr, offset, size) in raw {
                let start = name as usize;
                let n = strtab
                    .get(start..)
                    .and_then(|s| s.iter().position(|&b| b == 0).map(|e| &s[..e]))
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .unwrap_or_default();
                elf.sections.push(Section {
                    name: n,
                    addr,
                    offset,
                    size,
                    nobits: ty == 8,
                });
            }
        }
        Some(elf)
    }

    /// Pointer size in bytes.
    pub fn ptr_size(&self) -> usize {
        if self.is64 {
            8
        } else {
            4
        }
    }

    /// Little-endian?
    pub fn little_endian(&self) -> bool {
        self.le
    }

    /// The section called `name`.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The file bytes of a section, when at most `max` bytes.
    pub fn section_data(&self, s: &Section, max: u64) -> Option<Vec<u8>> {
        if s.nobits || s.size > max {
            return None;
        }
        self.read(s.offset, s.size)
    }

    /// `len` bytes at file offset `off`, bounds-checked.
    pub fn read(&self, off: u64, len: u64) -> Option<Vec<u8>> {
        if off.checked_add(len)? > self.len || len > (256 << 20) {
            return None;
        }
        let mut buf = vec![0u8; len as usize];
        self.file.read_exact_at(&mut buf, off).ok()?;
        Some(buf)
    }

    /// `len` bytes at virtual address `addr` (inside one `PT_LOAD` segment).
    pub fn read_vaddr(&self, addr: u64, len: u64) -> Option<Vec<u8>> {
        let seg = self.segments.iter().find(|s| {
            addr >= s.vaddr
                && addr
                    .checked_add(len)
                    .is_some_and(|end| end <= s.vaddr.saturating_add(s.filesz))
        })?;
        self.read(seg.offset.checked_add(addr - seg.vaddr)?, len)
    }

    /// A pointer-sized unsigned integer from `b` at `at`.
    pub fn ptr(&self, b: &[u8], at: usize) -> Option<u64> {
        if self.is64 {
            self.u64(b, at)
        } else {
            self.u32(b, at).map(u64::from)
        }
    }

    fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.le {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    }

    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }

    fn u64(&self, b: &[u8], at: usize) -> Option<u64> {
        let s: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
        Some(if self.le {
            u64::from_le_bytes(s)
        } else {
            u64::from_be_bytes(s)
        })
    }
}
