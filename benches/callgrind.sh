#!/usr/bin/env bash
# Instructions per GET with a cached token, counted by callgrind: the difference
# between 101 GETs and 1 GET (the first also fetches the token), divided by 100.
#     bash benches/callgrind.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bench get_cached --quiet
bin=$(ls -t target/release/deps/get_cached-* | grep -v '\.d$' | head -n 1)
count() {
    local out; out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$1" > /dev/null 2>&1
    awk '/^(summary|totals):/ { print $2; exit }' "$out"
    rm -f "$out"
}
one=$(count 1)
many=$(count 101)
echo "instructions: 1 GET (with token fetch) $one, 101 GETs $many"
echo "instructions per GET with a cached token: $(( (many - one) / 100 ))"
