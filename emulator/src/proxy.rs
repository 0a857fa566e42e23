//! A fault-injecting front for the emulator on loopback: each connection it
//! accepts is, with a seeded probability, broken in one of the ways a real
//! network breaks one (reset before or in the middle of the response, a
//! truncated response with a clean FIN, a stall past any read timeout, a
//! response dribbled 1 to 7 bytes at a time, the request read one byte at a
//! time, a delay); the others get the emulator's answer untouched. The
//! answers come from the emulator's sans-IO [`Service`], in process.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{Answer, Service};

/// One way of breaking a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetworkFault {
    /// The request is read, then the connection is reset (RST), unanswered.
    ResetBeforeResponse,
    /// Half the response, then a reset.
    ResetMidResponse,
    /// Half the response, then a clean close (FIN).
    Truncate,
    /// The request is read and never answered, for longer than a read timeout.
    Stall,
    /// The response in pieces of 1 to 7 bytes.
    Dribble,
    /// The request read one byte at a time (the answer is whole).
    SplitRequest,
    /// The response after a delay shorter than a read timeout.
    Delay,
}

impl NetworkFault {
    /// Every kind, in the order [`FaultCounts::by_kind`] counts them.
    pub const ALL: [NetworkFault; 7] = [
        NetworkFault::ResetBeforeResponse,
        NetworkFault::ResetMidResponse,
        NetworkFault::Truncate,
        NetworkFault::Stall,
        NetworkFault::Dribble,
        NetworkFault::SplitRequest,
        NetworkFault::Delay,
    ];
}

/// How the proxy breaks connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyOptions {
    /// Connections broken, in percent (0 to 100).
    pub percent: u32,
    /// The seed: connection `n` gets the same fault for the same seed.
    pub seed: u64,
    /// How long a stall holds the connection (make it longer than the
    /// client's read timeout).
    pub stall: Duration,
    /// How long a delay waits (make it shorter than the read timeout).
    pub delay: Duration,
    /// The proxy stops by itself after this long.
    pub lifetime: Duration,
}

impl Default for ProxyOptions {
    fn default() -> Self {
        ProxyOptions {
            percent: 30,
            seed: 1,
            stall: Duration::from_millis(500),
            delay: Duration::from_millis(30),
            lifetime: Duration::from_secs(300),
        }
    }
}

/// Connections seen and faults injected so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Connections accepted.
    pub connections: u64,
    /// Faults injected, per kind of [`NetworkFault::ALL`].
    pub by_kind: [u64; 7],
}

impl FaultCounts {
    /// Faults injected in all.
    pub fn faults(&self) -> u64 {
        self.by_kind.iter().sum()
    }
}

/// A running fault proxy on 127.0.0.1; stops when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    counts: Arc<Mutex<FaultCounts>>,
    thread: Option<JoinHandle<()>>,
}

/// splitmix64: the fault of connection `n` depends on the seed and `n` only.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The fault for connection `n` (and the random bits left for its details).
fn fault_of(options: &ProxyOptions, n: u64) -> (Option<NetworkFault>, u64) {
    let bits = mix(options.seed ^ mix(n));
    let broken = (bits % 100) < u64::from(options.percent.min(100));
    let kind = NetworkFault::ALL[((bits >> 8) % 7) as usize];
    (broken.then_some(kind), bits >> 16)
}

impl FaultProxy {
    /// Serves `service` on 127.0.0.1 (a free port), breaking connections per `options`.
    pub fn start(service: Service, options: ProxyOptions) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, counts) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(FaultCounts::default())));
        let (stop_flag, counted) = (stop.clone(), counts.clone());
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let next = AtomicU64::new(0);
            let mut workers: Vec<JoinHandle<()>> = Vec::new();
            while !stop_flag.load(Ordering::SeqCst) && started.elapsed() < options.lifetime {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let n = next.fetch_add(1, Ordering::SeqCst);
                        let (fault, bits) = fault_of(&options, n);
                        let mut c = counted.lock().unwrap_or_else(|e| e.into_inner());
                        c.connections += 1;
                        if let Some(at) = fault.and_then(|f| NetworkFault::ALL.iter().position(|k| *k == f)) {
                            c.by_kind[at] += 1;
                        }
                        drop(c);
                        let service = service.clone();
                        workers.retain(|w| !w.is_finished());
                        if workers.len() < 64 {
                            workers.push(std::thread::spawn(move || serve(stream, &service, fault, bits, options)));
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(1)),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            for worker in workers {
                let _ = worker.join();
            }
        });
        Ok(FaultProxy { addr, stop, counts, thread: Some(thread) })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections and faults so far.
    pub fn counts(&self) -> FaultCounts {
        *self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One connection: read the request, answer it, break it as `fault` says.
fn serve(mut stream: TcpStream, service: &Service, fault: Option<NetworkFault>, bits: u64, options: ProxyOptions) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut request = Vec::new();
    let step = if fault == Some(NetworkFault::SplitRequest) { 1 } else { 4096 };
    let bytes = loop {
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk[..step]) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
        match service.answer(&request) {
            Answer::Incomplete => continue,
            Answer::Silence => return std::thread::sleep(options.stall),
            Answer::Reply { bytes, .. } => break bytes,
        }
    };
    let half = bytes.len() / 2;
    let reset = |stream: TcpStream| {
        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        drop(stream);
    };
    match fault {
        None | Some(NetworkFault::SplitRequest) => {
            let _ = stream.write_all(&bytes);
        }
        Some(NetworkFault::ResetBeforeResponse) => reset(stream),
        Some(NetworkFault::ResetMidResponse) => {
            let _ = stream.write_all(&bytes[..half]);
            std::thread::sleep(Duration::from_millis(2));
            reset(stream);
        }
        Some(NetworkFault::Truncate) => {
            let _ = stream.write_all(&bytes[..half]);
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
        Some(NetworkFault::Stall) => std::thread::sleep(options.stall),
        Some(NetworkFault::Dribble) => {
            let mut bits = bits;
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let n = (1 + (bits % 7) as usize).min(rest.len());
                bits = mix(bits);
                if stream.write_all(&rest[..n]).is_err() {
                    return;
                }
                rest = &rest[n..];
            }
        }
        Some(NetworkFault::Delay) => {
            std::thread::sleep(options.delay);
            let _ = stream.write_all(&bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_seeded_and_at_the_rate_asked() {
        let options = ProxyOptions { percent: 30, seed: 7, ..ProxyOptions::default() };
        let faults: Vec<_> = (0..10_000).map(|n| fault_of(&options, n).0).collect();
        let again: Vec<_> = (0..10_000).map(|n| fault_of(&options, n).0).collect();
        assert_eq!(faults, again, "reproducible");
        let broken = faults.iter().filter(|f| f.is_some()).count();
        assert!((2800..3200).contains(&broken), "{broken}");
        for kind in NetworkFault::ALL {
            let n = faults.iter().filter(|f| **f == Some(kind)).count();
            assert!((300..560).contains(&n), "{kind:?}: {n}");
        }
        let other = ProxyOptions { seed: 8, ..options };
        assert_ne!(faults, (0..10_000).map(|n| fault_of(&other, n).0).collect::<Vec<_>>());
    }
}
