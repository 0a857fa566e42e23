#!/usr/bin/env bash
# Instructions per typed-document parse, counted by callgrind in one run of
# benches/documents.rs: imds, serde-json-core and serde_json side by side on
# the 450-byte credentials body and the 475-byte identity document (each the
# inclusive cost of its function, divided by the count), and the ratios.
#     bash benches/documents.sh [N]        (N = 1000 by default)
# With BUDGET_CREDENTIALS and BUDGET_IDENTITY set, fails when imds is over them.
set -euo pipefail
cd "$(dirname "$0")/.."
# One codegen unit, in a target directory of its own: the counts then do not
# move with where unrelated code lands (with 16 units, what is inlined across
# them does), and the other builds are not redone.
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_TARGET_DIR=target/bench
n=${1:-1000}
cargo build --release --bench documents --quiet
bin=$(ls -t target/bench/release/deps/documents-* | grep -v '\.d$' | head -n 1)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$n" > /dev/null 2>&1
cost() { # the inclusive instructions of function $1, per parse
    callgrind_annotate --inclusive=yes "$out" 2>/dev/null \
        | awk -v f="documents::$1 " -v n="$n" 'index($0, f) && !done { gsub(",", "", $1); printf "%d", $1 / n; done = 1 }'
}
fail=0
for doc in credentials identity; do
    ours=$(cost "imds_$doc")
    core=$(cost "serde_json_core_$doc")
    json=$(cost "serde_json_$doc")
    ratios=$(awk -v o="$ours" -v c="$core" -v j="$json" 'BEGIN { printf "serde-json-core %.2fx, serde_json %.2fx", c / o, j / o }')
    echo "instructions per $doc parse: imds $ours; serde-json-core $core; serde_json $json (imds is faster by: $ratios)"
    budget_var="BUDGET_$(tr a-z A-Z <<< "$doc")"
    budget=${!budget_var:-}
    if [ -n "$budget" ] && [ "$ours" -gt "$budget" ]; then
        echo "over budget: $ours instructions per $doc parse > $budget"; fail=1
    fi
done
exit $fail
