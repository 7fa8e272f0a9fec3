#!/usr/bin/env bash
# Benchmark of `urbis segregation` on a synthetic 10-million-cell grid with
# four groups, against PySAL segregation on the same Parquet file.
# Needs python3 with numpy, pandas, pyarrow and segregation 2.5.4 (PYTHON).
# Knobs: CELLS (10000000), DIR (/tmp/urbis-segbench), PYTHON (python3), REPEAT (3).
set -euo pipefail
CELLS=${CELLS:-10000000}
DIR=${DIR:-/tmp/urbis-segbench}
PYTHON=${PYTHON:-python3}
REPEAT=${REPEAT:-3}
cd "$(dirname "$0")/.."
mkdir -p "$DIR"
cargo build --release -p urbis-cli --bin urbis < /dev/null
DATA="$DIR/cells_$CELLS.parquet"
[ -f "$DATA" ] || "$PYTHON" bench/segregation_data.py "$CELLS" "$DATA"
for i in $(seq "$REPEAT"); do
  # All indices at the cells' own scale: 10 multigroup + 6 two-group indices for each of the 4 groups.
  /usr/bin/time -f "urbis all indices, cells as units: %e s wall, %U s user, %S s sys, max RSS %M KB" \
    target/release/urbis segregation "$DATA" --groups g1,g2,g3,g4 --out "$DIR/urbis.csv"
  # The same from the INSPIRE ids, summed to a 2 km grid.
  /usr/bin/time -f "urbis all indices, ids parsed and summed to 2 km: %e s wall, %U s user, %S s sys, max RSS %M KB" \
    target/release/urbis segregation "$DATA" --groups g1,g2,g3,g4 --unit GRD_ID --scales 2000 --out "$DIR/urbis_2km.csv"
done
/usr/bin/time -f "pysal total: %e s, max RSS %M KB" "$PYTHON" bench/segregation_pysal.py "$DATA" "$DIR/pysal.csv"
# Agreement of the indices both computed.
"$PYTHON" - "$DIR/urbis.csv" "$DIR/pysal.csv" <<'PY'
import csv, sys
u = {(r["index"], r["group"]): float(r["value"]) for r in csv.DictReader(open(sys.argv[1]))}
p = [(r["index"], r["group"], float(r["value"])) for r in csv.DictReader(open(sys.argv[2]))]
worst = max(abs(u[(i, g)] - v) for i, g, v in p)
print(f"{len(p)} indices compared with PySAL, largest absolute difference {worst:.3g}")
PY
