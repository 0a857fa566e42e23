//! GETs with a cached token through the whole client (encode, state machine,
//! decode) over an in-memory transport: the workload `benches/callgrind.sh`
//! counts instructions for. Not timed: these machines are too noisy for that.
//!
//!     cargo bench --bench get_cached -- 1000

use std::hint::black_box;

use imds::BodyMode;
use imds::driver::{Clock, ManualClock, MemoryTransport, run};
use imds::wire::MAX_REQUEST_LEN;
use imds::{Client, Config, Endpoint};

const TOKEN: &[u8] = b"HTTP/1.1 200 OK\r\nX-Aws-Ec2-Metadata-Token-Ttl-Seconds: 21600\r\nContent-Type: text/plain\r\n\
Content-Length: 56\r\nServer: EC2ws\r\nConnection: close\r\n\r\nAQAEAKQRRHnsX8GCPgYTGMShrFJkMhru3n-8Ul5Gzvzj-bpWKYZuiw==";
const VALUE: &[u8] = b"HTTP/1.1 200 OK\r\nX-Aws-Ec2-Metadata-Token-Ttl-Seconds: 21590\r\nContent-Type: text/plain\r\n\
Accept-Ranges: none\r\nLast-Modified: Thu, 26 Nov 2026 15:31:17 GMT\r\nContent-Length: 19\r\n\
Date: Thu, 26 Nov 2026 15:40:02 GMT\r\nServer: EC2ws\r\nConnection: close\r\n\r\ni-0a1b2c3d4e5f60718";

fn main() {
    let gets: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1000);
    let mut client = Client::new(Config::with_endpoint(Endpoint::parse("http://127.0.0.1:1338").unwrap()), 1);
    let mut transport =
        MemoryTransport::new(|request: &[u8]| Some(if request.starts_with(b"PUT") { TOKEN } else { VALUE }));
    let mut clock = ManualClock::default();
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 2048]);
    let mut total = 0;
    for _ in 0..gets {
        let mut operation = client.get(clock.now(), black_box("/latest/meta-data/instance-id"), BodyMode::Contiguous);
        let answer = run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).unwrap();
        total += black_box(answer.body).len();
    }
    println!("{gets} GETs, {total} body bytes");
}
