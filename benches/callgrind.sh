#!/usr/bin/env bash
# Instructions per request, counted by callgrind in one run of
# benches/get_cached.rs: a GET with a cached token through the whole client,
# the decoder alone on the same response, and httparse alone on its head
# (each the inclusive cost of its function, divided by the count).
#     bash benches/callgrind.sh [N]        (N = 1000 by default)
# With BUDGET_GET and BUDGET_DECODE_RATIO set, fails when over them.
set -euo pipefail
cd "$(dirname "$0")/.."
# One codegen unit, in a target directory of its own: the counts then do not
# move with where unrelated code lands (with 16 units, what is inlined across
# them does), and the other builds are not redone.
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_TARGET_DIR=target/bench
n=${1:-1000}
cargo build --release --bench get_cached --quiet
bin=$(ls -t target/bench/release/deps/get_cached-* | grep -v '\.d$' | head -n 1)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$n" > /dev/null 2>&1
cost_in() { # the inclusive instructions of function $2 of program $1, per one of n
    callgrind_annotate --inclusive=yes "$out" 2>/dev/null \
        | awk -v f="$1::$2 " -v n="$n" 'index($0, f) && !done { gsub(",", "", $1); printf "%d", $1 / n; done = 1 }'
}
cost() { cost_in get_cached "$1"; }
get=$(cost gets)
decode=$(cost decodes)
floor=$(cost httparse_alone)
ratio=$(awk -v d="$decode" -v h="$floor" 'BEGIN { printf "%.2f", d / h }')
echo "instructions per GET with a cached token: $get"
echo "instructions per response decode: $decode; httparse alone on its head: $floor; ratio $ratio"
# Over loopback (benches/loopback.rs, feature tokio): the blocking driver, the
# async one on tokio and a bare tokio exchange of the same bytes, GETs of the
# emulator; reported, not budgeted (the count depends on whether the
# emulator's answer is in before the first read).
cargo build --release --bench loopback --features tokio --quiet
loopback=$(ls -t target/bench/release/deps/loopback-* | grep -v '\.d$' | head -n 1)
valgrind --tool=callgrind --callgrind-out-file="$out" "$loopback" 200 > /dev/null 2>&1
blocking=$(n=200 cost_in loopback blocking_gets)
tokio=$(n=200 cost_in loopback tokio_gets)
bare=$(n=200 cost_in loopback bare_tokio_gets)
glue=$((tokio - bare - get))
echo "instructions per GET over loopback (emulator, token cached): blocking driver $blocking; async driver on tokio $tokio ($(awk -v t="$tokio" -v b="$blocking" 'BEGIN { printf "%.2f", t / b }')x)"
echo "a bare tokio exchange of the same bytes: $bare; the tokio glue (tokio - bare - GET in memory): $glue"

fail=0
if [ -n "${BUDGET_GET:-}" ] && [ "$get" -gt "$BUDGET_GET" ]; then
    echo "over budget: $get instructions per GET > $BUDGET_GET"; fail=1
fi
if [ -n "${BUDGET_DECODE_RATIO:-}" ] && awk -v r="$ratio" -v b="$BUDGET_DECODE_RATIO" 'BEGIN { exit !(r > b) }'; then
    echo "over budget: decode $ratio x httparse > $BUDGET_DECODE_RATIO"; fail=1
fi
exit $fail
