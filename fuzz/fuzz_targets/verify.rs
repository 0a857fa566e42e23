#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| imds_fuzz::verify(data));
