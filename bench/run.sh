#!/usr/bin/env bash
# Benchmark of `urbis estimate` against R survey/convey on synthetic samples.
# See bench/README.md. Usage: bash bench/run.sh
#
# Environment (defaults in brackets):
#   URBIS_BENCH_DIR  scratch directory for data, outputs and logs [/tmp/urbis-bench]
#   SIZES            sample sizes [1M 10M]
#   R_SIZES          sizes at which R runs too [same as SIZES]; empty: no R
#   REPEAT           urbis runs per case; the median wall time is reported [3]
#   URBIS_TIMEOUT    limit of one urbis run [30m]
#   R_TIMEOUT        limit of one R run [15m]
#   R_PREDICT        1: skip an R run whose time, extrapolated linearly from the
#                    previous size, exceeds 1.5 × R_TIMEOUT (reported as such) [1]
#   R_REUSE          1: reuse the R results of an earlier run found in the scratch
#                    directory (R takes minutes, urbis seconds) [0]
#   MEM_CAP_GB       address-space limit (ulimit -v) of every run, so that a run
#                    cannot take the machine down; a run over it fails [16]
#
# Results: $URBIS_BENCH_DIR/results.md (the table of bench/README.md) and
# results.tsv; every run's output, stderr and `/usr/bin/time -v` report in logs/.
set -uo pipefail
set -f  # no globbing: the replicate regex is passed unquoted

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${URBIS_BENCH_DIR:-/tmp/urbis-bench}"
SIZES="${SIZES:-1M 10M}"
R_SIZES="${R_SIZES-$SIZES}"
REPEAT="${REPEAT:-3}"
URBIS_TIMEOUT="${URBIS_TIMEOUT:-30m}"
R_TIMEOUT="${R_TIMEOUT:-15m}"
R_PREDICT="${R_PREDICT:-1}"
R_REUSE="${R_REUSE:-0}"
MEM_CAP_GB="${MEM_CAP_GB:-16}"
LOGS="$DIR/logs"
mkdir -p "$LOGS"

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ ! -x /usr/bin/time ]; then
  say "installing GNU time"
  apt-get install -y --no-install-recommends time >/dev/null || { echo "need /usr/bin/time (apt-get install time)" >&2; exit 2; }
fi
HAVE_R=0
if [ -n "$R_SIZES" ] && command -v Rscript >/dev/null &&
  Rscript -e 'for (p in c("survey","convey","data.table")) if (!requireNamespace(p, quietly=TRUE)) quit(status=1)' 2>/dev/null; then
  HAVE_R=1
else
  say "R with survey, convey and data.table not found: urbis only"
fi

say "building urbis and the generator"
(cd "$ROOT" && cargo build --release -q -p urbis-cli --bin urbis --example synth_sample) || exit 2
URBIS="$ROOT/target/release/urbis"
SYNTH="$ROOT/target/release/examples/synth_sample"

rows_of() { case "$1" in *M) echo $(( ${1%M} * 1000000 ));; *k|*K) echo $(( ${1%[kK]} * 1000 ));; *) echo "$1";; esac; }
to_seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'; }
in_list() { local x; for x in $2; do [ "$x" = "$1" ] && return 0; done; return 1; }

# run_timed NAME TIMEOUT CMD... : runs CMD under timeout, ulimit -v and /usr/bin/time -v.
# Prints "STATUS WALL_S MAXRSS_KB"; STATUS is ok, timeout, or failed(EXIT).
run_timed() {
  local name="$1" limit="$2"; shift 2
  (ulimit -v $((MEM_CAP_GB * 1024 * 1024)); exec timeout "$limit" /usr/bin/time -v -o "$LOGS/$name.time" "$@") \
    >"$LOGS/$name.out" 2>"$LOGS/$name.err"
  local rc=$? status=ok
  if [ $rc -eq 124 ]; then status=timeout; elif [ $rc -ne 0 ]; then status="failed($rc)"; fi
  local wall rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$LOGS/$name.time" 2>/dev/null | to_seconds)
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$LOGS/$name.time" 2>/dev/null)
  echo "$status ${wall:-NA} ${rss:-NA}" | tee "$LOGS/$name.status"
}

# The three cases: urbis arguments and number of columns read.
declare -A ARGS NCOL TITLE
TITLE[a]="(a) linearised means, 3 vars × 100 domains"
ARGS[a]="--strata stratum --ids psu --nest --weights weight --mean y1 --mean y2 --mean y3 --by domain"
NCOL[a]=7   # stratum psu weight domain y1 y2 y3
TITLE[b]="(b) bootstrap (80 replicates) means, 3 vars × 100 domains"
ARGS[b]="--weights weight --repweights rep_[0-9]+ --reptype bootstrap --mean y1 --mean y2 --mean y3 --by domain"
NCOL[b]=85  # weight domain y1 y2 y3 + 80 replicates
TITLE[c]="(c) at-risk-of-poverty rate × 9 regions"
ARGS[c]="--strata stratum --ids psu --nest --weights weight --arpr income --by region"
NCOL[c]=5   # stratum psu weight region income

TSV="$DIR/results.tsv"
printf 'size\tcase\ttool\tstatus\twall_s\tmaxrss_kb\tnote\n' >"$TSV"
declare -A R_WALL

for size in $SIZES; do
  rows=$(rows_of "$size")
  data="$DIR/synth_$size.parquet"
  csv="$DIR/synth_$size.csv"
  want_csv=0
  if [ $HAVE_R -eq 1 ] && in_list "$size" "$R_SIZES"; then want_csv=1; fi
  if [ ! -s "$data" ] || { [ $want_csv -eq 1 ] && [ ! -s "$csv" ]; }; then
    say "generating $size rows"
    extra=()
    [ $want_csv -eq 1 ] && extra=(--csv "$csv")
    "$SYNTH" "$rows" "$data" "${extra[@]}" || exit 1
  fi
  for c in a b c; do
    # urbis, REPEAT times (the first also warms the page cache for the others).
    walls=(); peak=0; status=ok
    for i in $(seq 1 "$REPEAT"); do
      # shellcheck disable=SC2086 # ARGS are words (set -f: no globbing)
      read -r st w m < <(run_timed "urbis_${size}_${c}_$i" "$URBIS_TIMEOUT" "$URBIS" estimate "$data" ${ARGS[$c]} --out "$DIR/urbis_${size}_$c.csv")
      say "urbis $size $c run $i: $st ${w}s ${m}KB"
      [ "$st" != ok ] && { status=$st; walls=("$w"); peak=$m; break; }
      walls+=("$w"); [ "$m" -gt "$peak" ] && peak=$m
    done
    median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    printf '%s\t%s\turbis\t%s\t%s\t%s\t\n' "$size" "$c" "$status" "$median" "$peak" >>"$TSV"

    # R
    if [ $want_csv -eq 1 ]; then
      limit_s=$(echo "$R_TIMEOUT" | awk '/m$/ { print $0 * 60; next } /h$/ { print $0 * 3600; next } { print $0 + 0 }')
      prev="${R_WALL[$c]:-}"
      if [ "$R_PREDICT" = 1 ] && [ -n "$prev" ] && awk -v p="${prev%% *}" -v r="${prev##* }" -v n="$rows" -v l="$limit_s" \
        'BEGIN { exit !(p * n / r > 1.5 * l) }'; then
        note="not run: $(awk -v p="${prev%% *}" -v r="${prev##* }" -v n="$rows" 'BEGIN { printf "%.0f", p * n / r / 60 }') min extrapolated from the smaller size, far over the $R_TIMEOUT limit"
        say "R $size $c $note"
        printf '%s\t%s\tR\tskipped\tNA\tNA\t%s\n' "$size" "$c" "$note" >>"$TSV"
        continue
      fi
      if [ "$R_REUSE" = 1 ] && [ -s "$LOGS/R_${size}_$c.status" ]; then
        read -r st w m <"$LOGS/R_${size}_$c.status"
        say "R $size $c: $st ${w}s ${m}KB (reused from an earlier run)"
      else
        read -r st w m < <(run_timed "R_${size}_$c" "$R_TIMEOUT" Rscript "$ROOT/bench/r_survey.R" "$c" "$csv" "$DIR/R_${size}_$c.csv")
        say "R $size $c: $st ${w}s ${m}KB"
      fi
      note=""
      if [ "$st" = ok ]; then
        R_WALL[$c]="$w $rows"
        if [ "$status" = ok ]; then
          note=$(Rscript "$ROOT/bench/r_survey.R" compare "$DIR/urbis_${size}_$c.csv" "$DIR/R_${size}_$c.csv" 2>&1 | head -1)
          say "$note"
        fi
      elif [ "$st" = timeout ]; then
        note="not run to the end (exceeded $R_TIMEOUT)"
      else
        note="R failed: $( (grep -m1 -o 'cannot allocate vector of size [0-9.]* [GMK]b' "$LOGS/R_${size}_$c.err" ||
          grep -m1 'Error' "$LOGS/R_${size}_$c.err") | cut -c1-120)"
        [ "$MEM_CAP_GB" -gt 0 ] && case "$note" in *"cannot allocate"*) note="$note (over the ${MEM_CAP_GB} GB cap)";; esac
      fi
      printf '%s\t%s\tR\t%s\t%s\t%s\t%s\n' "$size" "$c" "$st" "$w" "$m" "$note" >>"$TSV"
    fi
  done
done

# Markdown table (MB = 10^6 bytes throughout).
{
  echo "| size | case | urbis wall (s) | rows/s | urbis peak RSS (MB) | columns read (MB) | RSS / columns | R wall (s) | R peak RSS (MB) | speed-up | numbers |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  awk -F'\t' -v OFS='\t' 'NR > 1 { k = $1 SUBSEP $2; if ($3 == "urbis") { us[k] = $4; uw[k] = $5; um[k] = $6; order[++n] = k } else { rs[k] = $4; rw[k] = $5; rm[k] = $6; rn[k] = $7 } }
    END {
      split("7 85 5", nc, " "); ci["a"] = 1; ci["b"] = 2; ci["c"] = 3
      for (i = 1; i <= n; i++) {
        k = order[i]; split(k, p, SUBSEP); size = p[1]; c = p[2]
        rows = size; if (size ~ /M$/) rows = size * 1000000; else if (size ~ /[kK]$/) rows = size * 1000
        colmb = rows * nc[ci[c]] * 8 / 1e6
        if (us[k] == "ok") { w = sprintf("%.2f", uw[k]); rps = sprintf("%.2f M", rows / uw[k] / 1e6); mem = sprintf("%.0f", um[k] * 1024 / 1e6); ratio = sprintf("%.2f", um[k] * 1024 / (rows * nc[ci[c]] * 8)) }
        else { w = us[k] " after " uw[k]; rps = "–"; mem = sprintf("%.0f", um[k] * 1024 / 1e6); ratio = "–" }
        if (rs[k] == "ok") { r = sprintf("%.1f", rw[k]); rmem = sprintf("%.0f", rm[k] * 1024 / 1e6); su = (us[k] == "ok") ? sprintf("%.0f×", rw[k] / uw[k]) : "–"; agree = rn[k] }
        else if (k in rs) { r = "–"; rmem = "–"; su = "–"; agree = rn[k] != "" ? rn[k] : rs[k] }
        else { r = "–"; rmem = "–"; su = "–"; agree = "R not run" }
        printf "| %s | %s | %s | %s | %s | %.0f | %s | %s | %s | %s | %s |\n", size, c, w, rps, mem, colmb, ratio, r, rmem, su, agree
      }
    }' "$TSV"
} >"$DIR/results.md"
cat "$DIR/results.md"
