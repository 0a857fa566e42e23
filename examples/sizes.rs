//! Prints the sizes docs/numbers.md quotes.
//!
//!     cargo run --example sizes

use core::mem::size_of;

fn main() {
    println!("| what | bytes |");
    println!("|---|---|");
    println!("| `Client` (settings, endpoint, token, connection) | {} |", size_of::<imds::Client>());
    println!(
        "| `Operation` (one request in flight, its reader included: `imds::REQUEST_STATE_BYTES`) | {} |",
        imds::REQUEST_STATE_BYTES
    );
    println!("| `Config` | {} |", size_of::<imds::Config>());
    println!("| `wire::Decoder` | {} |", size_of::<imds::wire::Decoder>());
    println!("| `wire::Reader` | {} |", size_of::<imds::wire::Reader>());
    println!("| `wire::ResponseHead` | {} |", size_of::<imds::wire::ResponseHead>());
    println!("| `Endpoint` | {} |", size_of::<imds::Endpoint>());
    println!("| `Token` | {} |", size_of::<imds::Token>());
    println!("| `Walk` (without its pending-path buffer) | {} |", size_of::<imds::Walk<'static>>());
    println!("| `CredentialsFlow` (the API and the role kept) | {} |", size_of::<imds::CredentialsFlow>());
    println!("| `RegionFlow` | {} |", size_of::<imds::RegionFlow>());
    println!("| `Watch` | {} |", size_of::<imds::Watch>());
    println!("| `wire::MAX_REQUEST_LEN` (largest request) | {} |", imds::wire::MAX_REQUEST_LEN);
    println!("| `wire::max_request_len(64)` (paths up to 64 bytes) | {} |", imds::wire::max_request_len(64));
}
