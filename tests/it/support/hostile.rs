//! A scriptable fake registry for hostile-registry tests: an HTTP/1.1 listener on any loopback
//! address (`127.0.0.2` stands for "another host" next to `127.0.0.1`) that records every
//! request it receives (method, target, headers) and answers each with a handler the test
//! supplies, which may write anything: redirects, challenges, endless or dripping bodies.
//! Handler threads end when the client goes away (a write fails) or after a bounded time.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&Seen, &mut TcpStream) + Send + Sync;

/// A running fake; stops accepting on drop.
pub struct Hostile {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Hostile {
    /// Listen on `ip` (e.g. `127.0.0.2`) with a free port; `handler` answers each request.
    pub fn start(
        ip: &str,
        handler: impl Fn(&Seen, &mut TcpStream) + Send + Sync + 'static,
    ) -> Hostile {
        let listener = TcpListener::bind((ip, 0)).unwrap_or_else(|e| panic!("bind {ip}: {e}"));
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("nonblocking: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"));
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop2, seen2) = (stop.clone(), seen.clone());
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                        let (h, seen) = (handler.clone(), seen2.clone());
                        std::thread::spawn(move || {
                            // Keep-alive: answer requests on this connection until it closes.
                            while let Some(req) = super::read_request(&mut s) {
                                let r = Seen {
                                    method: req.method,
                                    target: req.target,
                                    headers: req.headers,
                                };
                                if let Ok(mut l) = seen.lock() {
                                    l.push(r.clone());
                                }
                                h(&r, &mut s);
                            }
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Hostile {
            addr,
            stop,
            thread: Some(thread),
            seen,
        }
    }

    /// `IP:PORT`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answer with a complete response (kept alive).
pub fn reply(s: &mut TcpStream, status: u16, headers: &[(&str, String)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let _ = s.write_all(out.as_bytes());
    let _ = s.write_all(body);
    let _ = s.flush();
}

/// Answer with headers and then `piece` over and over, chunked, until the client hangs up or
/// `limit` passes (an endless body), pausing `pause` between pieces (a drip when non-zero).
pub fn stream_forever(
    s: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    piece: &[u8],
    pause: Duration,
    limit: Duration,
) {
    let mut out = format!("HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    if s.write_all(out.as_bytes()).is_err() {
        return;
    }
    let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
    chunk.extend_from_slice(piece);
    chunk.extend_from_slice(b"\r\n");
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if s.write_all(&chunk).and_then(|_| s.flush()).is_err() {
            return;
        }
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
    let _ = s.shutdown(std::net::Shutdown::Both);
}

/// Read the request's headers and then say nothing until `limit` passes.
pub fn say_nothing(s: &mut TcpStream, limit: Duration) {
    std::thread::sleep(limit);
    let _ = s.shutdown(std::net::Shutdown::Both);
}
