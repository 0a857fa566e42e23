#!/usr/bin/env bash
# Instructions per identity-document verification, counted by callgrind in one
# run of benches/verify.rs: imds::verify::rsa2048 and imds::verify::signature
# on the emulator's signed document (each the inclusive cost of its function,
# divided by the count).
#     bash benches/verify.sh [N]        (N = 100 by default)
# With BUDGET_RSA2048 and BUDGET_SIGNATURE set, fails when over them.
set -euo pipefail
cd "$(dirname "$0")/.."
# One codegen unit, in a target directory of its own: the counts then do not
# move with where unrelated code lands (with 16 units, what is inlined across
# them does), and the other builds are not redone.
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_TARGET_DIR=target/bench
n=${1:-100}
cargo build --release --bench verify --features verify --quiet
bin=$(ls -t target/bench/release/deps/verify-* | grep -v '\.d$' | head -n 1)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$n" > /dev/null 2>&1
fail=0
for check in rsa2048 signature; do
    per=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null \
        | awk -v f="verify::verify_$check " -v n="$n" 'index($0, f) && !done { gsub(",", "", $1); printf "%d", $1 / n; done = 1 }')
    echo "instructions per verification of the $check body (the emulator's test keys, x86_64): $per"
    budget_var="BUDGET_$(tr a-z A-Z <<< "$check")"
    budget=${!budget_var:-}
    if [ -z "$per" ] || { [ -n "$budget" ] && [ "$per" -gt "$budget" ]; }; then
        echo "over budget (or not measured): ${per:-none} instructions per $check verification > ${budget:-?}"; fail=1
    fi
done
exit $fail
