#!/usr/bin/env python3
"""Writes the seed corpus fuzz/corpus/<target>/seed-* from the test fixtures.
Input layouts are those of fuzz/src/lib.rs. Rerun: python3 fuzz/seeds.py"""
import glob, os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")

def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, "seed-" + name), "wb") as f:
        f.write(data)

seed = bytes([3, 7, 40, 1])  # seed length 3, then the seed
for path in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "*.http"))):
    name = os.path.basename(path)[:-5]
    data = open(path, "rb").read()
    if len(data) > 4000:
        continue
    write("response", name, seed + data)
write("response", "chunked-trailers", seed + b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n")
write("response", "lf-only", bytes([0]) + b"HTTP/1.0 200 OK\nContent-Length: 2\n\nok")

write("chunked", "framed", bytes([2, 5, 9]) + b"5\r\nhello\r\n4;ext\r\n mor\r\n0\r\n\r\n")
write("chunked", "plain", bytes([1, 3]) + b"ami-0a887e401f7654935\n")
write("chunked", "overflow", bytes([0]) + b"FFFFFFFFFFFFFFFFF\r\n")

write("listing", "meta-data", b"\x04ami-id\nami-launch-index\nblock-device-mapping/\niam/\npublic-keys/\ntags/\n")
write("listing", "public-keys", b"\x030=my-key\n1=deploy")
write("listing", "macs", b"\x040e:49:61:0f:c3:11/\r\n0e:49:61:0f:c3:12/\r\n")
write("listing", "latest", b"\x01dynamic\nmeta-data\nuser-data")
write("listing", "bad", b"\x00a\n\nb\x00")

write("request", "v2-get", b"/latest/meta-data/instance-id\xffAQAEAKQRRHnsX8GCPgYTGMShrFJkMhru3n-8Ul5Gzvzj-bpWKYZuiw==\xffimds-rs/0.1")
write("request", "v1-get", b"/latest/meta-data/")
write("request", "injection", b"/latest\r\nX-Forwarded-For: 1\xfftok\r\nen\xffagent")
write("request", "dots", b"/latest/../meta-data/\xff\xffa b")
tok = b"HTTP/1.1 200 OK\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 6\r\n\r\ntokenA"
listing = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nami-id\niam/"
chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
write("session", "happy", bytes([0]) + b"\xff".join([tok, listing, chunked]))
write("session", "streamed", bytes([1]) + b"\xff".join([tok, listing, chunked]))
write("session", "retries", bytes([2]) + b"\xff".join([b"HTTP/1.1 503 X\r\nContent-Length: 0\r\n\r\n", tok, b"HTTP/1.1 401 X\r\nContent-Length: 0\r\n\r\n", tok, listing]))
write("session", "fallback", bytes([4]) + b"\xff".join([b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", listing, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"]))
write("session", "garbage", bytes([3]) + b"\xff".join([b"SSH-2.0", b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nshort"]))
print("seeds written")

# walk: flags, then the answers to the GETs in turn (0xFF between them).
walk = lambda flags, *bodies: bytes([flags]) + b"\xff".join(bodies)
write("walk", "tree", walk(0, b"ami-id\niam/\npublic-keys/", b"ami-0a", b"info\ngone", b"{}", b"!", b"0=key", b"openssh-key", b"ssh-ed25519 AAAA"))
write("walk", "latest-chunked", walk(3, b"dynamic\nmeta-data\nuser-data", b"instance-identity/", b"document", b"{}", b"x\ny/", b"1", b"#", b"z", b"#!/bin/sh"))
write("walk", "deep", walk(0, *[b"d/"] * 8))
write("walk", "wide", walk(8, b"\n".join(b"e%d/" % i for i in range(60))))
write("walk", "bad-listing", walk(0, b"a\n\nb"))

# json: documents as served, and a few edges.
for path in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "documents", "*.json"))):
    write("json", os.path.basename(path)[:-5], open(path, "rb").read())
write("json", "escapes", b'["a\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00", -0.5e-3, true, false, null, {}]')
write("json", "duplicate", b'{"a":1,"\\u0061":2}')
write("json", "deep", b"[" * 20 + b"]" * 20)
# documents: a byte choosing the type, then a body.
kinds = {"identity": 0, "credentials": 1, "credentials_extended": 1, "credentials_failure": 1, "iam_info": 2,
         "spot_instance_action": 3, "rebalance": 4, "maintenance_scheduled": 5}
for name, kind in kinds.items():
    write("documents", name, bytes([kind]) + open(os.path.join(ROOT, "tests", "fixtures", "documents", name + ".json"), "rb").read())
write("timestamp", "rfc3339", b"2026-11-26T21:47:55.123+01:00")
write("timestamp", "event", b"21 Jan 2019 09:00:43 GMT")
write("timestamp", "leap", b"2016-12-31T23:59:60Z")
write("sdk_config", "profiles", b"[default]\nec2_metadata_service_endpoint = http://127.0.0.1:1338 # c\n[profile dev]\nx=y\xffhttp://[::1]:8080\xffIPv6\xfftrue")

# verify: the emulator's signed identity document in each input form of the target.
IDENTITY = os.path.join(ROOT, "emulator", "identity")
def identity(name):
    return open(os.path.join(IDENTITY, name), "rb").read()
import base64
signed = base64.b64decode(b"".join(identity("rsa2048").split()))
write("verify", "rsa2048-body", bytes([0]) + identity("rsa2048"))
write("verify", "signed-data", bytes([1]) + signed)
write("verify", "certificate-der", bytes([2]) + identity("test-rsa2048-cert.der"))
write("verify", "certificate-pem-body", bytes([3]) + identity("test-rsa2048-cert.der"))
write("verify", "signature-body", bytes([4]) + identity("signature"))
write("verify", "document", bytes([5]) + identity("document"))
write("verify", "pkcs7-body", bytes([0]) + identity("pkcs7"))
