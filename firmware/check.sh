#!/usr/bin/env bash
# Builds the Cortex-M4 firmware (src/main.rs), checks its budgets, and runs it
# in QEMU (mps2-an386): flash (.text, and what each typed document adds), the
# compiler builtins linked (none allowed, documents in or not), the crate's
# own panic paths (none allowed, with or without the documents), the stack of
# a session, a cached-token GET, a document parse and a document nested 1 and
# 16 deep (painted), size_of::<Client>(), and the whole credentials flow
# (token, extended role listing, credentials, parse): its .text and stack.
# Prints each figure; exits 1 when one is over budget, 2 when a tool it
# needs is missing (the caller says "skipped").
#     bash firmware/check.sh
set -euo pipefail
cd "$(dirname "$0")"

# Budgets: the issue's goal where the figure meets it (CI keeps it met),
# otherwise the figure measured when it was set plus 10% (docs/numbers.md).
BUDGET_TEXT=12900           # bytes of .text: the 12 KiB goal not met since Retry-After and Date (measured 12,668)
BUDGET_STACK_GET=1136       # bytes of stack, a GET with the token cached: the 1 KiB goal not met since Retry-After and Date (measured 1,088)
BUDGET_STACK_SESSION=1250   # bytes of stack, token PUT + listing GET (measured 1,200)
BUDGET_CLIENT=256           # size_of::<Client>(): the goal (measured 240)
BUDGET_CREDENTIALS=5306     # bytes a credentials parse adds: goal 3,072 not met (measured 4,824)
BUDGET_ALL_DOCUMENTS=9451   # bytes all six documents add: goal 5,120 not met (measured 8,552)
BUDGET_STACK_DOCUMENT=1074  # bytes of stack, an identity parse: goal 512 not met (measured 976)
BUDGET_FLOW_TEXT=20433      # bytes of .text, the credentials-flow firmware: goal 16,384 not met (measured 20,100)
BUDGET_FLOW_STACK=2130      # bytes of stack, the credentials flow (measured 2,056)
BUDGET_VERIFY=16384         # bytes an rsa2048 verification adds: the 16 KiB goal (measured 15,900)
BUDGET_STACK_VERIFY=8505    # bytes of stack, an rsa2048 verification: goal 4,096 not met (measured 7,732; crypto-bigint's Karatsuba floor)
# Compiler builtins: none in the base firmware (the goal, met). With the
# documents, and in the flow firmware, the goal (none) is not met: these are
# the ones measured (large values moved by value), and no others may come.
ALLOWED_BUILTINS="__aeabi_memclr4 __aeabi_memcpy __aeabi_memcpy4 compiler_builtins::mem::memcpy"

llvm_bin="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin"
if [ ! -x "$llvm_bin/llvm-objdump" ]; then
    timeout 300 rustup component add llvm-tools > /dev/null 2>&1 || true
fi
if [ ! -x "$llvm_bin/llvm-objdump" ] || ! command -v addr2line > /dev/null; then
    echo "panic paths and builtins: not checked (no llvm-objdump from rustup's llvm-tools, or no addr2line)"
    exit 2
fi
fail=0
over() { # figure budget what
    if [ "$1" -gt "$2" ]; then echo "over budget: $3 ($1 > $2)"; fail=1; fi
}
builtins() { # the compiler builtins an elf links (memcpy, memset, memcmp and kin)
    "$llvm_bin/llvm-nm" -C "$1" | sed -n 's/^[0-9a-f]* [tT] \(__aeabi_mem[a-z0-9]*\|memcpy\|memmove\|memset\|memcmp\|bcmp\|compiler_builtins::mem::[a-z]*\)$/\1/p' | sort -u | tr '\n' ' '
}

cargo build --release --quiet
elf=target/thumbv7em-none-eabihf/release/imds-firmware
text=$(python3 elf_size.py "$elf" .text)
echo "firmware .text: $text bytes (budget $BUDGET_TEXT)"
over "$text" "$BUDGET_TEXT" ".text"

# Each typed document's weight: the firmware with its parsing added, against
# the base (built in a target directory of their own).
for document in identity credentials iam-info spot-action rebalance maintenance; do
    cargo build --release --quiet --features "$document" --target-dir target/documents
    with=$(python3 elf_size.py target/documents/thumbv7em-none-eabihf/release/imds-firmware .text)
    echo "  + $document: $((with - text)) bytes of .text"
    [ "$document" = credentials ] && credentials=$((with - text))
done
echo "  credentials parse: $credentials bytes (budget $BUDGET_CREDENTIALS; goal 3,072)"
over "$credentials" "$BUDGET_CREDENTIALS" "credentials parse"
cargo build --release --quiet --target-dir target/documents \
    --features identity,credentials,iam-info,spot-action,rebalance,maintenance
all_documents=target/documents/thumbv7em-none-eabihf/release/imds-firmware
all=$(($(python3 elf_size.py "$all_documents" .text) - text))
echo "  + all six: $all bytes of .text (budget $BUDGET_ALL_DOCUMENTS; goal 5,120)"
over "$all" "$BUDGET_ALL_DOCUMENTS" "all six documents"

# The verification of an rsa2048 body (the emulator's, its test certificate
# in DER): what it adds.
cargo build --release --quiet --features verify --target-dir target/verify
verify_elf=target/verify/thumbv7em-none-eabihf/release/imds-firmware
verify=$(($(python3 elf_size.py "$verify_elf" .text) - text))
echo "  + verify: $verify bytes of .text (budget $BUDGET_VERIFY; goal 16,384)"
over "$verify" "$BUDGET_VERIFY" "verify"

# Compiler builtins: none in the base; with the documents, none beyond the
# measured ones.
check_builtins() { # elf what allowed
    local linked extra
    linked=$(builtins "$1")
    extra=$(for b in $linked; do case " $3 " in *" $b "*) ;; *) printf '%s ' "$b" ;; esac; done)
    echo "builtins linked in $2: ${linked:-none}"
    [ -z "$extra" ] || { echo "  not allowed: $extra"; fail=1; }
}
check_builtins "$elf" "the base firmware" ""
check_builtins "$all_documents" "the firmware with all six documents (goal: none)" "$ALLOWED_BUILTINS"
check_builtins "$verify_elf" "the firmware with verify (crypto-bigint's; goal: none)" "$ALLOWED_BUILTINS __aeabi_memset4 __aeabi_memclr __aeabi_memclr8 __aeabi_memcpy8 compiler_builtins::mem::memset"

# Panic paths: llvm-objdump (rustup's llvm-tools) disassembles, GNU addr2line
# (binutils, beside gcc) symbolizes the inlined frames.
python3 panics.py "$elf" ../src --llvm-bin "$llvm_bin" || fail=1
echo "with every typed document:"
python3 panics.py "$all_documents" ../src --llvm-bin "$llvm_bin" > /dev/null \
    && echo "  no call into a panic entry from the crate's own sources" \
    || { python3 panics.py "$all_documents" ../src --llvm-bin "$llvm_bin"; fail=1; }

# The credentials flow: a firmware of its own.
cargo build --release --quiet --features credentials-flow --target-dir target/flow
flow_elf=target/flow/thumbv7em-none-eabihf/release/imds-firmware
flow_text=$(python3 elf_size.py "$flow_elf" .text)
python3 panics.py "$flow_elf" ../src --llvm-bin "$llvm_bin" > /dev/null || { echo "the flow firmware has panic paths from the crate"; fail=1; }
# memcpy8: an 80-byte, 8-aligned copy inlined in the firmware's credentials_flow
# (a value with 64-bit time fields); the goal, none, is not met.
check_builtins "$flow_elf" "the credentials-flow firmware (goal: none)" "$ALLOWED_BUILTINS __aeabi_memcpy8"

if ! command -v qemu-system-arm > /dev/null; then
    echo "qemu-system-arm: missing"
    exit 2
fi
qemu() { timeout 60 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
    -semihosting-config enable=on,target=native -kernel "$1"; }
output=$(qemu "$elf") || { echo "$output"; echo "the firmware failed"; exit 1; }
echo "$output"
figure() { sed -n "s/.*$1 \([0-9]*\) bytes.*/\1/p" <<< "$2" | head -n 1; }
session=$(figure "stack: session" "$output")
get=$(figure "cached GET" "$output")
client=$(figure "Client" "$output")
echo "stack: session $session bytes (budget $BUDGET_STACK_SESSION), cached GET $get bytes (budget $BUDGET_STACK_GET); Client $client bytes (budget $BUDGET_CLIENT)"
over "$session" "$BUDGET_STACK_SESSION" "session stack"
over "$get" "$BUDGET_STACK_GET" "cached GET stack"
over "$client" "$BUDGET_CLIENT" "Client"

# A document parse's stack, and what nesting costs (the identity build).
cargo build --release --quiet --features identity --target-dir target/documents
output=$(qemu target/documents/thumbv7em-none-eabihf/release/imds-firmware) || { echo "$output"; echo "the identity firmware failed"; exit 1; }
document=$(figure "documents" "$output")
flat=$(figure "nested 1 deep" "$output")
deep=$(figure "16 deep" "$output")
echo "stack: identity parse $document bytes (budget $BUDGET_STACK_DOCUMENT; goal 512); nested 1 deep $flat bytes, 16 deep $deep bytes: $(( (deep - flat) / 15 )) bytes per level"
over "$document" "$BUDGET_STACK_DOCUMENT" "document parse stack"
over "$deep" "$flat" "stack growing with nesting"

output=$(qemu "$verify_elf") || { echo "$output"; echo "the verification failed"; exit 1; }
verify_stack=$(figure "verify: rsa2048 verified 1 (1 yes); stack" "$output")
echo "stack: rsa2048 verification $verify_stack bytes (budget $BUDGET_STACK_VERIFY; goal 4,096)"
over "$verify_stack" "$BUDGET_STACK_VERIFY" "verification stack"

output=$(qemu "$flow_elf") || { echo "$output"; echo "the credentials flow failed"; exit 1; }
flow_stack=$(figure "stack" "$output")
echo "credentials flow: $flow_text bytes of .text (budget $BUDGET_FLOW_TEXT; goal 16,384), stack $flow_stack bytes (budget $BUDGET_FLOW_STACK)"
over "$flow_text" "$BUDGET_FLOW_TEXT" "credentials flow .text"
over "$flow_stack" "$BUDGET_FLOW_STACK" "credentials flow stack"
exit $fail
