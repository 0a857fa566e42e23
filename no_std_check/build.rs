fn main() {
    // No std means no libc either: link it for the C start-up code that calls `main`.
    println!("cargo:rustc-link-lib=c");
}
