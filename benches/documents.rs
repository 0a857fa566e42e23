//! One typed-document parse, three parsers, one program (one callgrind run):
//! imds's one-pass readers, serde-json-core (deriving `Deserialize` into
//! `&str` fields, as a firmware would) and serde_json (the same derive), on
//! the credentials body IMDS serves (450 bytes, pretty-printed) and on the
//! emulator's identity document (475 bytes). `benches/documents.sh` counts the
//! instructions of each function and prints the ratios. Not timed.
//!
//!     cargo bench --bench documents -- 1000

use std::hint::black_box;

use serde::Deserialize;

/// A credentials document as IMDS serves it: pretty-printed, 450 bytes.
pub const CREDENTIALS: &[u8] = br#"{
  "Code" : "Success",
  "LastUpdated" : "2026-11-26T15:12:40Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "ASIAQ3EGRGZX7EXAMPLE",
  "SecretAccessKey" : "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
  "Token" : "IQoJb3JpZ2luX2VjEKj//////////wEaCXVzLWVhc3QtMSJHMEUCIQDhZ4exampleSessionTokenPartOneAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
  "Expiration" : "2026-11-26T21:47:55Z"
}"#;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct SerdeCredentials<'a> {
    code: Option<&'a str>,
    last_updated: Option<&'a str>,
    #[serde(rename = "Type")]
    kind: Option<&'a str>,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    token: &'a str,
    expiration: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct SerdeIdentity<'a> {
    account_id: Option<&'a str>,
    architecture: Option<&'a str>,
    availability_zone: Option<&'a str>,
    billing_products: Option<[&'a str; 0]>,
    devpay_product_codes: Option<[&'a str; 0]>,
    marketplace_product_codes: Option<[&'a str; 0]>,
    image_id: Option<&'a str>,
    instance_id: Option<&'a str>,
    instance_type: Option<&'a str>,
    kernel_id: Option<&'a str>,
    pending_time: Option<&'a str>,
    private_ip: Option<&'a str>,
    ramdisk_id: Option<&'a str>,
    region: Option<&'a str>,
    version: Option<&'a str>,
}

#[inline(never)]
fn imds_credentials(body: &[u8]) -> usize {
    let c = imds::parse::Credentials::parse(black_box(body)).unwrap();
    c.access_key_id.as_bytes().len() + c.expiration.unix_seconds() as usize
}

#[inline(never)]
fn serde_json_core_credentials(body: &[u8]) -> usize {
    let (c, _): (SerdeCredentials<'_>, _) = serde_json_core::from_slice(black_box(body)).unwrap();
    c.access_key_id.len() + c.expiration.len()
}

#[inline(never)]
fn serde_json_credentials(body: &[u8]) -> usize {
    let c: SerdeCredentials<'_> = serde_json::from_slice(black_box(body)).unwrap();
    c.access_key_id.len() + c.expiration.len()
}

#[inline(never)]
fn imds_identity(body: &[u8]) -> usize {
    let d = imds::parse::IdentityDocument::parse(black_box(body)).unwrap();
    d.region.map_or(0, |r| r.as_bytes().len())
}

#[inline(never)]
fn serde_json_core_identity(body: &[u8]) -> usize {
    let (d, _): (SerdeIdentity<'_>, _) = serde_json_core::from_slice(black_box(body)).unwrap();
    d.region.map_or(0, str::len)
}

#[inline(never)]
fn serde_json_identity(body: &[u8]) -> usize {
    let d: SerdeIdentity<'_> = serde_json::from_slice(black_box(body)).unwrap();
    d.region.map_or(0, str::len)
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1000);
    let identity = imds_emulator::instance()["/latest/dynamic/instance-identity/document"].clone();
    let identity = identity.as_bytes();
    assert_eq!((CREDENTIALS.len(), identity.len()), (450, 475), "the bodies the figures are for");
    let mut total = 0;
    for _ in 0..n {
        total += imds_credentials(CREDENTIALS)
            + serde_json_core_credentials(CREDENTIALS)
            + serde_json_credentials(CREDENTIALS);
        total += imds_identity(identity) + serde_json_core_identity(identity) + serde_json_identity(identity);
    }
    println!("{n} of each: {total}");
}
