#!/usr/bin/env bash
# The dashboard benchmark (bench/README.md): cold start of `urbis serve --demo`
# (building the demo store from the shipped data) and latency under load.
#   bench/serve.sh [REQUESTS] [CONNECTIONS]
set -euo pipefail
exec 0< <(true)
cd "$(dirname "$0")/.."
requests=${1:-10000}
connections=${2:-200}
port=18080
cargo build --release -q -p urbis-cli
cargo build --release -q -p urbis-server --example load
dir=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT

wait_ready() {
    local start=$1
    until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do sleep 0.02; done
    echo "$(( $(date +%s%N) - start ))" | awk '{printf "%.2f s\n", $1 / 1e9}'
}

start=$(date +%s%N)
target/release/urbis serve --demo --db "$dir/demo.sqlite" --addr 127.0.0.1:$port 2>"$dir/log" &
server=$!
echo -n "cold start (builds the demo store, then serves): "
wait_ready "$start"
kill $server; wait $server 2>/dev/null || true

start=$(date +%s%N)
target/release/urbis serve --demo --db "$dir/demo.sqlite" --addr 127.0.0.1:$port 2>"$dir/log" &
server=$!
echo -n "warm start (store exists): "
wait_ready "$start"

base="127.0.0.1:$port"
paths=(/ /indicator/emp_rate "/indicator/arop?tab=map" /area/AT13 "/compare?indicator=arop&geo=AT13~AT34"
       /api/v1/indicators "/api/v1/data?indicator=emp_rate&geo_level=city" /segregation)
echo "first request of each page (nothing cached yet):"
for p in "${paths[@]}"; do
    curl -s -o /dev/null -w "  %{time_total}s  $p\n" "http://$base$p"
done
echo "load: $requests requests over $connections connections"
target/release/examples/load "$base" "$requests" "$connections" "${paths[@]}"
uncached=()
for p in "${paths[@]}"; do
    case "$p" in *\?*) uncached+=("$p&nocache={k}") ;; *) uncached+=("$p?nocache={k}") ;; esac
done
echo "load without the response cache (every URL new): $requests requests over $connections connections"
target/release/examples/load "$base" "$requests" "$connections" "${uncached[@]}"
