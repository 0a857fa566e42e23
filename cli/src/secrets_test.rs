//! `imds credentials` leaves no copy of a secret on the heap: a global
//! allocator looks into every block freed or moved on the test's thread while
//! the command's credentials step runs, and counts those that hold a secret.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;

use imds::{Client, Config, Endpoint};

use crate::{Counting, Session};

const SECRETS: [&[u8]; 2] = [b"emulator/secret/not+a+real+one+0000000000", b"EmulatorSessionTokenEmulatorSessionToken"];

struct Scanning;

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static FREED_WITH_A_SECRET: Cell<usize> = const { Cell::new(0) };
}

fn scan(ptr: *mut u8, len: usize) {
    if !WATCHING.with(Cell::get) {
        return;
    }
    // SAFETY: the allocator still owns the block (len bytes at ptr).
    let block = unsafe { std::slice::from_raw_parts(ptr, len) };
    if SECRETS.iter().any(|s| block.windows(s.len()).any(|w| w == *s)) {
        FREED_WITH_A_SECRET.with(|n| n.set(n.get() + 1));
    }
}

unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        scan(ptr, layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        scan(ptr, layout.size());
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Scanning = Scanning;

/// Blocks freed holding a secret while `f` runs on this thread.
fn freed_with_a_secret(f: impl FnOnce()) -> usize {
    let before = FREED_WITH_A_SECRET.with(Cell::get);
    WATCHING.with(|w| w.set(true));
    f();
    WATCHING.with(|w| w.set(false));
    FREED_WITH_A_SECRET.with(Cell::get) - before
}

/// Counts what is written, keeps nothing.
#[derive(Default)]
struct Seen {
    secrets: usize,
}

impl Write for Seen {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.secrets += SECRETS.iter().filter(|s| buf.windows(s.len()).any(|w| w == **s)).count();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn credentials_leave_no_copy_of_a_secret_on_the_heap() {
    // The scanner sees a copy when there is one.
    assert_eq!(freed_with_a_secret(|| drop(String::from_utf8_lossy(SECRETS[0]).into_owned())), 1);

    let emulator = imds_emulator::Emulator::start(imds_emulator::Options::default()).unwrap();
    let endpoint = Endpoint::from_ip(emulator.addr().ip(), emulator.addr().port());
    let mut session = Session {
        client: Client::new(Config::with_endpoint(endpoint), 1),
        transport: Counting { inner: imds::net::TcpTransport::new(), requests: 0 },
        clock: imds::net::SystemClock::new(),
        tx: vec![0; imds::wire::MAX_REQUEST_LEN],
        rx: vec![0; 64 * 1024],
    };
    let mut out = Seen::default();
    let freed = freed_with_a_secret(|| assert!(session.credentials(None, false, &mut out).is_ok()));
    assert_eq!(out.secrets, 2, "both secrets were written");
    assert_eq!(freed, 0, "no block freed on the heap held a secret");
    assert!(session.rx.iter().all(|&b| b == 0), "the receive buffer is wiped");
}
