#!/usr/bin/env bash
# The clients people use, against the emulator (and moto, when IMDS_MOTO_URL
# is set), loopback only: botocore, boto3 (credential_process = imds
# credentials), ec2-metadata, @smithy/credential-provider-imds. Each runs
# under a guard (guard.py, guard.cjs) that refuses any non-loopback connect.
#
#     bash tests/clients/run.sh PYTHON   # a python with botocore, boto3, ec2-metadata
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${1:?usage: run.sh PYTHON (a virtualenv with botocore, boto3 and ec2-metadata)}
cargo build --quiet -p imds-cli -p imds-emulator
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
url_file=$(mktemp)
"$target/debug/imds-emulator" --port 0 --lifetime 240 > "$url_file" &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; rm -f "$url_file"' EXIT
for _ in $(seq 100); do [ -s "$url_file" ] && break; sleep 0.1; done
url=$(head -1 "$url_file")
case "$url" in http://127.0.0.1:*) ;; *) echo "the emulator did not start on loopback: $url"; exit 1 ;; esac

(cd tests/clients && "$python" python_clients.py "$url" "${IMDS_MOTO_URL:-}" "$target/debug/imds")

node_dir="${TMPDIR:-/tmp}/imds-ci-node"
if ! command -v npm > /dev/null && [ "$(id -u)" = 0 ]; then
    (timeout 300 apt-get update -qq && timeout 600 apt-get install -y -qq nodejs npm) > /dev/null 2>&1 || true
fi
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
    echo "skipped: @smithy/credential-provider-imds (no node and npm, and Debian's would not install)"
elif [ ! -d "$node_dir/node_modules/@smithy/credential-provider-imds" ] \
    && ! (mkdir -p "$node_dir" && cd "$node_dir" \
        && timeout 300 npm install --silent --no-audit --no-fund '@smithy/credential-provider-imds@4' > /dev/null 2>&1); then
    echo "skipped: @smithy/credential-provider-imds (the npm registry could not be reached)"
else
    NODE_PATH="$node_dir/node_modules" AWS_EC2_METADATA_SERVICE_ENDPOINT="$url" \
        timeout 60 node --require ./tests/clients/guard.cjs tests/clients/smithy.cjs
fi
echo "all client checks passed"
