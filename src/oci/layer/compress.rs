//! Layer compressors: the encoder chain stage (plain, gzip, block-parallel gzip, zstd) with
//! byte-identical output for any thread count.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{mpsc, Arc, Mutex};

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

/// One block for a compression worker: (number, preset dictionary, data).
type Job = (u64, Vec<u8>, Vec<u8>);
/// A worker's answer: (number, raw deflate bytes).
type Done = (u64, io::Result<Vec<u8>>);

/// Block-mode gzip: independent deflate pieces that concatenate into one stream. Each full
/// block goes to one of `threads` worker threads as soon as it is filled (with the 32 KiB
/// before it as its dictionary) while the writer goes on filling the next, so reading,
/// hashing and writing overlap with compression; outputs are written in block order. At most
/// `2 × threads` blocks are in flight, so memory stays bounded.
pub(super) struct ParGzip<W: Write> {
    out: W,
    level: u32,
    threads: usize,
    /// The block being filled.
    cur: Vec<u8>,
    /// The last 32 KiB of input before `cur`.
    dict: Vec<u8>,
    crc: flate2::Crc,
    header_written: bool,
    /// Numbers of the next block to hand out and of the next to write.
    next_seq: u64,
    next_out: u64,
    /// Finished blocks waiting for their turn.
    ready: BTreeMap<u64, Vec<u8>>,
    /// The workers' queue (started with the first full block; closed by `finish` or drop).
    jobs: Option<mpsc::SyncSender<Job>>,
    workers: Vec<std::thread::JoinHandle<()>>,
    done_tx: mpsc::Sender<Done>,
    done_rx: mpsc::Receiver<Done>,
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
        let (done_tx, done_rx) = mpsc::channel();
        ParGzip {
            out,
            level,
            threads: threads.max(1),
            cur: Vec::with_capacity(GZ_BLOCK),
            dict: Vec::new(),
            crc: flate2::Crc::new(),
            header_written: false,
            next_seq: 0,
            next_out: 0,
            ready: BTreeMap::new(),
            jobs: None,
            workers: Vec::new(),
            done_tx,
            done_rx,
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

    /// The workers' queue, starting them on first use.
    fn queue(&mut self) -> io::Result<mpsc::SyncSender<Job>> {
        if let Some(q) = &self.jobs {
            return Ok(q.clone());
        }
        let (tx, rx) = mpsc::sync_channel::<Job>(self.threads);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..self.threads {
            let (rx, done, level) = (rx.clone(), self.done_tx.clone(), self.level);
            let h = std::thread::Builder::new()
                .name(format!("gzip-{i}"))
                .spawn(move || loop {
                    let job = rx
                        .lock()
                        .map_err(|_| ())
                        .and_then(|r| r.recv().map_err(|_| ()));
                    let Ok((seq, dict, block)) = job else { return };
                    let r = std::panic::catch_unwind(|| deflate_block(level, &dict, &block, false))
                        .unwrap_or_else(|_| Err(io::Error::other("compression thread panicked")));
                    // The writer is gone after an error: nothing to tell.
                    let _ = done.send((seq, r));
                })?;
            self.workers.push(h);
        }
        self.jobs = Some(tx.clone());
        Ok(tx)
    }

    /// Hand a full block to the workers, then write what is done (waiting when too many
    /// blocks are in flight).
    fn submit(&mut self, block: Vec<u8>) -> io::Result<()> {
        self.write_header()?;
        let dict = std::mem::replace(&mut self.dict, tail(&block).to_vec());
        let seq = self.next_seq;
        self.queue()?
            .send((seq, dict, block))
            .map_err(|_| io::Error::other("compression threads stopped"))?;
        self.next_seq += 1;
        while let Ok((seq, r)) = self.done_rx.try_recv() {
            self.ready.insert(seq, r?);
        }
        self.write_ready()?;
        while self.next_seq - self.next_out > 2 * self.threads as u64 {
            self.wait_one()?;
        }
        Ok(())
    }

    fn wait_one(&mut self) -> io::Result<()> {
        let (seq, r) = self
            .done_rx
            .recv()
            .map_err(|_| io::Error::other("compression threads stopped"))?;
        self.ready.insert(seq, r?);
        self.write_ready()
    }

    fn write_ready(&mut self) -> io::Result<()> {
        while let Some(o) = self.ready.remove(&self.next_out) {
            self.out.write_all(&o)?;
            self.next_out += 1;
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> io::Result<W> {
        self.write_header()?;
        if !self.cur.is_empty() {
            let b = std::mem::take(&mut self.cur);
            if self.next_seq == 0 {
                // One block in all: no thread needed.
                let o = deflate_block(self.level, &[], &b, false)?;
                self.out.write_all(&o)?;
            } else {
                self.submit(b)?;
            }
        }
        while self.next_out < self.next_seq {
            self.wait_one()?;
        }
        self.jobs = None;
        for h in std::mem::take(&mut self.workers) {
            let _ = h.join();
        }
        // Always end with an empty final block, so where blocks were cut never matters.
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
            self.submit(full)?;
        }
        Ok(take.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Block boundaries must not depend on flush calls; only the sink is flushed.
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha256};

    /// The bytes of block mode are fixed: the same input gives the same stream whatever the
    /// thread count and however it is fed (a change here changes every layer digest).
    #[test]
    fn block_mode_bytes_are_fixed() {
        let mut data = Vec::new();
        let mut x: u32 = 7;
        while data.len() < (3 << 20) + 54321 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            data.extend_from_slice(format!("{} ", x % 7000).as_bytes());
        }
        for threads in [1, 2, 5] {
            for chunk in [4096, 1 << 20, 3 << 20] {
                let mut z = ParGzip::new(Vec::new(), 6, threads);
                for c in data.chunks(chunk) {
                    z.write_all(c).unwrap();
                }
                let out = z.finish().unwrap();
                let hex: String = Sha256::digest(&out)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                assert_eq!(
                    hex, "c732eff2169c50ac537bd83d977ec55f4271d8def5ce4216cec6f4a851ca5a1e",
                    "threads {threads}, chunks of {chunk}"
                );
            }
        }
    }
}
