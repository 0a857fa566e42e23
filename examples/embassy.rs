//! A whole session through real embassy-net TCP sockets, in one process: two
//! embassy-net stacks joined by an in-memory link (embassy-net-driver-channel
//! on both sides, a task moving the packets), on embassy-executor's std
//! platform and embassy-time's std clock. The far stack (10.0.0.2) serves the
//! emulator's sans-IO `Service` on port 80; the near one (10.0.0.1) runs the
//! client through `driver::asynch` with `EmbassyTransport` and
//! `EmbassyClock`: a token, a listing, a leaf, then, once the 1-second token
//! expired, a new token and a leaf again. No OS networking.
//!
//!     cargo run --example embassy --features embassy

use embassy_executor::Spawner;
use embassy_net::tcp::TcpSocket;
use embassy_net::{Config as NetConfig, Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_driver_channel::{self as channel, Device, RxRunner, TxRunner};
use embassy_time::{Duration, Timer};
use imds::driver::asynch::{self, AsyncClock, EmbassyClock, EmbassyTransport};
use imds::wire::MAX_REQUEST_LEN;
use imds::{BodyMode, Client, Config, Endpoint, TokenTtl};
use imds_emulator::{Answer, Options, Service};
use static_cell::StaticCell;

const MTU: usize = 1500;
type Link = channel::State<MTU, 4, 4>;

/// One embassy-net stack on one end of the link, at `address`.
fn stack(
    spawner: &Spawner,
    link: &'static mut Link,
    resources: &'static mut StackResources<4>,
    address: [u8; 4],
) -> (Stack<'static>, RxRunner<'static, MTU>, TxRunner<'static, MTU>) {
    let (runner, device) = channel::new(link, channel::driver::HardwareAddress::Ip);
    let (state, rx, tx) = runner.split();
    state.set_link_state(channel::driver::LinkState::Up);
    let [a, b, c, d] = address;
    let config = NetConfig::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(Ipv4Address::new(a, b, c, d), 24),
        gateway: None,
        dns_servers: Default::default(),
    });
    let (stack, net_runner) = embassy_net::new(device, config, resources, u64::from(d));
    spawner.spawn(net_task(net_runner).expect("a task slot"));
    (stack, rx, tx)
}

#[embassy_executor::task(pool_size = 2)]
async fn net_task(mut runner: embassy_net::Runner<'static, Device<'static, MTU>>) -> ! {
    runner.run().await
}

/// Moves every packet `from` one stack's transmit side `to` the other's receive side.
#[embassy_executor::task(pool_size = 2)]
async fn wire(mut from: TxRunner<'static, MTU>, mut to: RxRunner<'static, MTU>) -> ! {
    loop {
        let packet = from.tx_buf().await;
        let len = packet.len();
        let slot = to.rx_buf().await;
        slot[..len].copy_from_slice(packet);
        to.rx_done(len);
        from.tx_done();
    }
}

/// The emulated metadata service on port 80 of the far stack: one connection
/// at a time per task, the emulator's answer to what arrives.
#[embassy_executor::task(pool_size = 2)]
async fn serve(stack: Stack<'static>, service: Service) -> ! {
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 8192]);
    loop {
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        socket.set_timeout(Some(Duration::from_secs(5)));
        if socket.accept(80).await.is_err() {
            continue;
        }
        let mut input = Vec::new();
        let mut buf = [0u8; 1024];
        'connection: loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => input.extend_from_slice(&buf[..n]),
            }
            while let Answer::Reply { consumed, bytes, close } = service.answer(&input) {
                input.drain(..consumed);
                let mut rest = &bytes[..];
                while !rest.is_empty() {
                    match socket.write(rest).await {
                        Ok(0) | Err(_) => break 'connection,
                        Ok(n) => rest = &rest[n..],
                    }
                }
                if close {
                    break 'connection;
                }
            }
        }
        socket.close();
        let _ = socket.flush().await;
        Timer::after(Duration::from_millis(1)).await;
        socket.abort();
    }
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    static LINKS: StaticCell<[Link; 2]> = StaticCell::new();
    static RESOURCES: StaticCell<[StackResources<4>; 2]> = StaticCell::new();
    let [near_link, far_link] = LINKS.init([Link::new(), Link::new()]);
    let [near_resources, far_resources] = RESOURCES.init([StackResources::new(), StackResources::new()]);
    let (near, near_rx, near_tx) = stack(&spawner, near_link, near_resources, [10, 0, 0, 1]);
    let (far, far_rx, far_tx) = stack(&spawner, far_link, far_resources, [10, 0, 0, 2]);
    spawner.spawn(wire(near_tx, far_rx).expect("a task slot"));
    spawner.spawn(wire(far_tx, near_rx).expect("a task slot"));
    let service = Service::new(Options::default());
    for _ in 0..2 {
        spawner.spawn(serve(far, service.clone()).expect("a task slot"));
    }
    near.wait_config_up().await;
    far.wait_config_up().await;

    let mut config = Config::with_endpoint(Endpoint::parse("http://10.0.0.2").expect("an endpoint"));
    config.token_ttl = TokenTtl::new(1).expect("a TTL");
    let mut client = Client::new(config, 1);
    let (mut rx_buf, mut tx_buf) = ([0u8; 2048], [0u8; 1024]);
    let mut transport = EmbassyTransport::new(TcpSocket::new(near, &mut rx_buf, &mut tx_buf));
    let mut clock = EmbassyClock;
    let (mut tx, mut rx) = ([0u8; MAX_REQUEST_LEN], [0u8; 4096]);

    let mut get = async |client: &mut Client<'_>, path: &str| -> String {
        let mut operation = client.get(clock.now(), path, BodyMode::Contiguous);
        let answer =
            asynch::run(&mut operation, &mut transport, &mut clock, &mut tx, &mut rx, |_| {}).await.expect("an answer");
        String::from_utf8_lossy(answer.body).into_owned()
    };
    let listing = get(&mut client, "/latest/meta-data/").await;
    println!("/latest/meta-data/: {} entries", listing.lines().count());
    println!("instance-id: {}", get(&mut client, "/latest/meta-data/instance-id").await);
    println!("token issued: {} (cached for the listing and the leaf)", service.tokens_issued());
    Timer::after(Duration::from_millis(1100)).await; // the 1-second token expires
    println!("region: {}", get(&mut client, "/latest/meta-data/placement/region").await);
    println!("tokens issued: {} (a new one after the expiry)", service.tokens_issued());
    let ok = service.tokens_issued() == 2 && service.requests() == 5 && listing.contains("instance-id");
    std::process::exit(if ok { 0 } else { 1 });
}
