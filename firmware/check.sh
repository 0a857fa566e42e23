#!/usr/bin/env bash
# Builds the Cortex-M4 firmware (src/main.rs), checks its budgets, and runs it
# in QEMU (mps2-an386): flash (.text, and what each typed document adds), the
# crate's own panic paths (none allowed, with or without the documents), the stack of a session and of a cached-token GET (painted), and
# size_of::<Client>(). Prints each figure; exits 1 when one is over budget, 2
# when a tool it needs is missing (the caller says "skipped").
#     bash firmware/check.sh
set -euo pipefail
cd "$(dirname "$0")"

# Budgets: the issue's goal where the figure meets it (CI keeps it met),
# otherwise the figure measured when it was set plus 10% (README, "Numbers").
BUDGET_TEXT=12288          # bytes of .text: the 12 KiB goal (measured 11,880)
BUDGET_STACK_GET=1024      # bytes of stack, a GET with the token cached: the 1 KiB goal (measured 983)
BUDGET_STACK_SESSION=1205  # bytes of stack, token PUT + listing GET (measured 1,096)
BUDGET_CLIENT=256          # size_of::<Client>(): the goal (measured 240)

cargo build --release --quiet
elf=target/thumbv7em-none-eabihf/release/imds-firmware
text=$(python3 elf_size.py "$elf" .text)
echo "firmware .text: $text bytes (budget $BUDGET_TEXT)"
fail=0
[ "$text" -le "$BUDGET_TEXT" ] || { echo "over budget: .text"; fail=1; }

# Each typed document's weight: the firmware with its parsing added, against
# the base (reported, not budgeted; built in a target directory of their own).
for document in identity credentials iam-info spot-action rebalance maintenance; do
    cargo build --release --quiet --features "$document" --target-dir target/documents
    with=$(python3 elf_size.py target/documents/thumbv7em-none-eabihf/release/imds-firmware .text)
    echo "  + $document: $((with - text)) bytes of .text"
done
cargo build --release --quiet --target-dir target/documents \
    --features identity,credentials,iam-info,spot-action,rebalance,maintenance
all_documents=target/documents/thumbv7em-none-eabihf/release/imds-firmware
echo "  + all six: $(($(python3 elf_size.py "$all_documents" .text) - text)) bytes of .text"

# Panic paths: llvm-objdump (rustup's llvm-tools) disassembles, GNU addr2line
# (binutils, beside gcc) symbolizes the inlined frames.
llvm_bin="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin"
if [ ! -x "$llvm_bin/llvm-objdump" ]; then
    timeout 300 rustup component add llvm-tools > /dev/null 2>&1 || true
fi
if [ -x "$llvm_bin/llvm-objdump" ] && command -v addr2line > /dev/null; then
    python3 panics.py "$elf" ../src --llvm-bin "$llvm_bin" || fail=1
    echo "with every typed document:"
    python3 panics.py "$all_documents" ../src --llvm-bin "$llvm_bin" > /dev/null \
        && echo "  no call into a panic entry from the crate's own sources" \
        || { python3 panics.py "$all_documents" ../src --llvm-bin "$llvm_bin"; fail=1; }
else
    echo "panic paths: not checked (no llvm-objdump from rustup's llvm-tools, or no addr2line)"
    exit 2
fi

if ! command -v qemu-system-arm > /dev/null; then
    echo "qemu-system-arm: missing"
    exit 2
fi
output=$(timeout 60 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
    -semihosting-config enable=on,target=native -kernel "$elf") || { echo "$output"; echo "the firmware failed"; exit 1; }
echo "$output"
figure() { sed -n "s/.*$1 \([0-9]*\) bytes.*/\1/p" <<< "$output"; }
session=$(figure "stack: session")
get=$(figure "cached GET")
client=$(figure "Client")
echo "stack: session $session bytes (budget $BUDGET_STACK_SESSION), cached GET $get bytes (budget $BUDGET_STACK_GET); Client $client bytes (budget $BUDGET_CLIENT)"
[ "$session" -le "$BUDGET_STACK_SESSION" ] || { echo "over budget: session stack"; fail=1; }
[ "$get" -le "$BUDGET_STACK_GET" ] || { echo "over budget: cached GET stack"; fail=1; }
[ "$client" -le "$BUDGET_CLIENT" ] || { echo "over budget: Client"; fail=1; }
exit $fail
