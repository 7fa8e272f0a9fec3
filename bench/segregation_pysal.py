"""PySAL segregation on the benchmark grid (bench/segregation.sh).

    python3 bench/segregation_pysal.py CELLS.parquet OUT.csv [GINI_CELLS]

Computes, on the same file as urbis, the indices PySAL can compute at that
size: the ten multigroup indices of g1..g4 except MultiGini, and for each
group against the rest dissimilarity, isolation, exposure, entropy and
Atkinson. PySAL's Gini (a numba double loop) and MultiGini (an n x n distance
matrix) are quadratic in the number of cells, so they are timed on the first
GINI_CELLS cells (default 20000) only. Prints timings to stderr and writes
index,group,value to OUT.csv.
"""
import sys
import time

import pandas as pd
from segregation import multigroup as mg
from segregation import singlegroup as sg

GROUPS = ["g1", "g2", "g3", "g4"]
MULTI = [("multi_dissimilarity", mg.MultiDissim), ("multi_information_theory", mg.MultiInfoTheory),
         ("multi_normalized_exposure", mg.MultiNormExposure), ("multi_relative_diversity", mg.MultiRelativeDiversity),
         ("multi_squared_coefficient_of_variation", mg.MultiSquaredCoefVar), ("multi_divergence", mg.MultiDivergence),
         ("multi_diversity", mg.MultiDiversity), ("simpsons_concentration", mg.SimpsonsConcentration),
         ("simpsons_interaction", mg.SimpsonsInteraction)]
SINGLE = [("dissimilarity", sg.Dissim), ("isolation", sg.Isolation), ("exposure", sg.Interaction),
          ("entropy", sg.Entropy), ("atkinson", sg.Atkinson)]

t0 = time.perf_counter()
df = pd.read_parquet(sys.argv[1], columns=GROUPS)
df["total"] = df[GROUPS].sum(axis=1)
t1 = time.perf_counter()
rows = []
for name, cls in MULTI:
    rows.append((name, "", cls(df, GROUPS).statistic))
for g in GROUPS:
    for name, cls in SINGLE:
        rows.append((name, g, cls(df, g, "total").statistic))
t2 = time.perf_counter()
print(f"pysal read {t1 - t0:.2f}s; {len(rows)} indices on {len(df)} cells {t2 - t1:.2f}s", file=sys.stderr)

m = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
small = df.iloc[:m].copy()
t3 = time.perf_counter()
sg.Gini(small, "g1", "total").statistic
t4 = time.perf_counter()
mg.MultiGini(small, GROUPS).statistic
t5 = time.perf_counter()
print(f"pysal Gini on {m} cells {t4 - t3:.2f}s, MultiGini on {m} cells {t5 - t4:.2f}s", file=sys.stderr)

with open(sys.argv[2], "w") as f:
    f.write("index,group,value\n")
    for name, group, value in rows:
        f.write(f"{name},{group},{float(value)!r}\n")
