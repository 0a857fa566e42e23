#!/usr/bin/env bash
# imds against aws-config's IMDS client: N GETs each of the emulator over
# loopback (token cached), instructions per GET from one callgrind run (the
# inclusive cost of each side's function) and heap allocations per GET.
# Builds aws-config (minutes); not part of .ci/run.
#     bash benches/peer/run.sh [N]        (N = 200 by default)
set -euo pipefail
cd "$(dirname "$0")"
n=${1:-200}
cargo build --release --quiet
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" target/release/imds-peer-bench "$n" 2> /dev/null
cost() {
    callgrind_annotate --inclusive=yes "$out" 2>/dev/null \
        | awk -v f="imds_peer_bench::$1 " -v n="$n" 'index($0, f) && !done { gsub(",", "", $1); printf "%d", $1 / n; done = 1 }'
}
# The token was fetched before, outside the measured functions.
ours=$(cost imds_gets)
theirs=$(cost aws_config_gets)
echo "instructions per GET (callgrind, token cached): imds $ours, aws-config $theirs"
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "aws-config / imds: %.1fx\n", b / a }'
date -u +"measured %Y-%m-%d"
