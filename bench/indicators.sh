#!/usr/bin/env bash
# Benchmark of `urbis indicators`: the whole catalogue, every level, on a
# synthetic person file. Usage: PERSONS=10M bash bench/indicators.sh
# Writes to $DIR (default /tmp/urbis-bench-indicators), outside the repository.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${DIR:-/tmp/urbis-bench-indicators}
PERSONS=${PERSONS:-10M}
mkdir -p "$DIR"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
cargo build --release -q -p urbis-cli --manifest-path "$ROOT/Cargo.toml"
URBIS="$ROOT/target/release/urbis"
"$URBIS" synth --persons "$PERSONS" --areas DE212,AT130,FR101,ES300,ITC4C,SE110,PL911,NL329,BE100,CZ010 \
    --districts 10 --year 2023 --seed 7 --out "$DIR/synth.parquet" --hierarchy-out "$DIR/hierarchy.csv"
cp "$ROOT/bench/indicators.toml" "$DIR/urbis.toml"
# The generator's writes reach the disk before the timed run starts, so that
# reading the file does not share the disk with flushing it.
sync
/usr/bin/time -v -o "$DIR/time.txt" "$URBIS" indicators "$DIR/urbis.toml" --out "$DIR/out" --quiet
grep -E "Elapsed|Maximum resident" "$DIR/time.txt"
python3 - "$DIR/out/metadata.json" <<'PY'
import json, sys
seconds = json.load(open(sys.argv[1]))["report"]["seconds"]
for name, s in seconds:
    print(f"{name:24s} {s:7.1f} s")
PY
