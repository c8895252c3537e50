//! Layer compressors: the encoder chain stage (plain, gzip, block-parallel gzip, zstd) with
//! byte-identical output for any thread count.

use std::io::{self, Write};

pub(super) enum Encoder<W: Write> {
    Plain(W),
    Gzip(flate2::write::GzEncoder<W>),
    ParGzip(ParGzip<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Encoder<W> {
    pub(super) fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Plain(w) => Ok(w),
            Encoder::Gzip(e) => e.finish(),
            Encoder::ParGzip(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Plain(w) => w.write(buf),
            Encoder::Gzip(e) => e.write(buf),
            Encoder::ParGzip(e) => e.write(buf),
            Encoder::Zstd(e) => e.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Plain(w) => w.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::ParGzip(e) => e.out.flush(),
            Encoder::Zstd(e) => e.flush(),
        }
    }
}

const GZ_BLOCK: usize = 1 << 20;
const GZ_DICT: usize = 32 << 10;

/// Block-mode gzip: independent deflate pieces that concatenate into one stream, compressed
/// `threads` blocks at a time on scoped threads.
pub(super) struct ParGzip<W: Write> {
    out: W,
    level: u32,
    threads: usize,
    /// Full blocks waiting for a batch.
    pending: Vec<Vec<u8>>,
    /// The block being filled.
    cur: Vec<u8>,
    /// The last 32 KiB of input before `pending[0]`.
    dict: Vec<u8>,
    crc: flate2::Crc,
    header_written: bool,
}

fn tail(data: &[u8]) -> &[u8] {
    data.get(data.len().saturating_sub(GZ_DICT)..)
        .unwrap_or(data)
}

/// Raw-deflate `data` (with `dict` as preset dictionary) ending in a sync flush, or, with
/// `finish`, a final block.
fn deflate_block(level: u32, dict: &[u8], data: &[u8], finish: bool) -> io::Result<Vec<u8>> {
    let mut c = flate2::Compress::new(flate2::Compression::new(level), false);
    if !dict.is_empty() {
        c.set_dictionary(dict).map_err(io::Error::other)?;
    }
    let flush = if finish {
        flate2::FlushCompress::Finish
    } else {
        flate2::FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(data.len() / 2 + 1024);
    let mut consumed = 0usize;
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(4096));
        }
        let before = c.total_in();
        let status = c
            .compress_vec(data.get(consumed..).unwrap_or_default(), &mut out, flush)
            .map_err(io::Error::other)?;
        consumed += usize::try_from(c.total_in() - before).unwrap_or(0);
        let all_in = consumed >= data.len();
        let room_left = out.len() < out.capacity();
        if finish {
            if status == flate2::Status::StreamEnd {
                return Ok(out);
            }
        } else if all_in && room_left {
            return Ok(out);
        }
    }
}

impl<W: Write> ParGzip<W> {
    pub(super) fn new(out: W, level: u32, threads: usize) -> Self {
        ParGzip {
            out,
            level,
            threads: threads.max(1),
            pending: Vec::new(),
            cur: Vec::with_capacity(GZ_BLOCK),
            dict: Vec::new(),
            crc: flate2::Crc::new(),
            header_written: false,
        }
    }

    fn write_header(&mut self) -> io::Result<()> {
        if !self.header_written {
            // magic, deflate, no flags, mtime 0, no extra flags, OS unknown
            self.out
                .write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255])?;
            self.header_written = true;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> io::Result<()> {
        self.write_header()?;
        if self.pending.is_empty() {
            return Ok(());
        }
        let level = self.level;
        let blocks = std::mem::take(&mut self.pending);
        let dicts: Vec<&[u8]> = std::iter::once(&self.dict[..])
            .chain(blocks.iter().map(|b| tail(b)))
            .collect();
        let outputs: Vec<io::Result<Vec<u8>>> = if blocks.len() == 1 {
            vec![deflate_block(level, dicts[0], &blocks[0], false)]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = blocks
                    .iter()
                    .zip(&dicts)
                    .map(|(b, d)| scope.spawn(move || deflate_block(level, d, b, false)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(io::Error::other("compression thread panicked"))
                        })
                    })
                    .collect()
            })
        };
        for o in outputs {
            self.out.write_all(&o?)?;
        }
        if let Some(last) = blocks.last() {
            self.dict = tail(last).to_vec();
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> io::Result<W> {
        if !self.cur.is_empty() {
            let b = std::mem::take(&mut self.cur);
            self.pending.push(b);
        }
        self.flush_batch()?;
        // Always end with an empty final block, so where batches were cut never matters.
        let end = deflate_block(self.level, &[], &[], true)?;
        self.out.write_all(&end)?;
        self.out.write_all(&self.crc.sum().to_le_bytes())?;
        self.out.write_all(&self.crc.amount().to_le_bytes())?;
        Ok(self.out)
    }
}

impl<W: Write> Write for ParGzip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = GZ_BLOCK - self.cur.len();
        let take = buf.get(..room.min(buf.len())).unwrap_or(buf);
        self.cur.extend_from_slice(take);
        self.crc.update(take);
        if self.cur.len() == GZ_BLOCK {
            let full = std::mem::replace(&mut self.cur, Vec::with_capacity(GZ_BLOCK));
            self.pending.push(full);
            if self.pending.len() >= self.threads {
                self.flush_batch()?;
            }
        }
        Ok(take.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Block boundaries must not depend on flush calls; only the sink is flushed.
        self.out.flush()
    }
}
