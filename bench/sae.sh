#!/usr/bin/env bash
# Small-area benchmark (issue 5, §6): urbis sae against R sae on the same
# synthetic areas (intercept + 9 covariates). Needs R with sae for the R
# side (R_LIBS pointing at it); R is skipped when it is missing.
#   bash bench/sae.sh            # sizes 500 1000 2000 10000; R up to R_MAX (2000)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/urbis-sae-bench}
SIZES=${SIZES:-"500 1000 2000 10000"}
R_MAX=${R_MAX:-2000}
mkdir -p "$OUT"
cargo build --release -q -p urbis-cli < <(true)
Rscript bench/sae_data.R "$OUT" $SIZES
FORMULA="~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9"
printf 'file\tareas\turbis_s\tR_sae_s\tmax_rel_diff_eblup\tmax_rel_diff_mse\n' > "$OUT/results.tsv"
for m in $SIZES; do
  f="$OUT/fh_$m.csv"
  best=""
  for _ in 1 2 3; do
    s=$(date +%s.%N)
    ./target/release/urbis sae "$f" --area area --direct y --var psi --formula "$FORMULA" --out "$OUT/urbis_$m.csv" --summary "$OUT/urbis_$m.txt"
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  rt="-"; de="-"; dm="-"
  if [ "$m" -le "$R_MAX" ] && Rscript -e 'library(sae)' >/dev/null 2>&1; then
    rt=$(Rscript bench/sae_r.R "$f" "$OUT/r_$m.csv" | cut -f3)
    read -r de dm < <(Rscript -e "a <- read.csv('$OUT/urbis_$m.csv'); b <- read.csv('$OUT/r_$m.csv');
      cat(format(max(abs(a\$eblup / b\$eblup - 1)), digits = 2), format(max(abs(a\$mse / b\$mse - 1)), digits = 2), \"\\n\")")
  fi
  printf '%s\t%s\t%.3f\t%s\t%s\t%s\n' "fh_$m.csv" "$m" "$best" "$rt" "$de" "$dm" >> "$OUT/results.tsv"
done
cat "$OUT/results.tsv"
