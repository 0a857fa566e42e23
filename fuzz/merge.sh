#!/usr/bin/env bash
# Merges the inputs a fuzzing run found (in the directories given) into a
# target's committed corpus and minimizes it with `cargo fuzz cmin`, keeping
# the named files (seed-*, crash-*, regression-*) that cmin would rename away.
#     bash fuzz/merge.sh TARGET DIR...
set -euo pipefail
cd "$(dirname "$0")"
target=$1
shift
corpus=corpus/$target
named=$(mktemp -d)
trap 'rm -rf "$named"' EXIT
find "$corpus" -maxdepth 1 -type f ! -regex '.*/[0-9a-f]\{40\}' -exec cp {} "$named"/ \;
for dir in "$@"; do
    cp -n "$dir"/* "$corpus"/ 2> /dev/null || true
done
cargo fuzz cmin --sanitizer none -O "$target" "$corpus" > /dev/null 2>&1
cp "$named"/* "$corpus"/
echo "$target: $(ls "$corpus" | wc -l) files, $(du -sh "$corpus" | cut -f1)"
