"""Synthetic census grid for the segregation benchmark (bench/segregation.sh).

    python3 bench/segregation_data.py CELLS OUT.parquet [SEED]

Writes CELLS cells of a 1 km INSPIRE grid (a square block starting at
N 2 000 000, E 4 000 000), with columns GRD_ID and the counts g1..g4 of four
groups. Totals vary from 0 to 400 per cell; each cell's composition drifts
smoothly across the grid (so the groups are segregated at large scales) plus
cell-level noise. Deterministic for a given SEED (default 42). Needs numpy,
pandas and pyarrow.
"""
import sys

import numpy as np
import pandas as pd

n = int(sys.argv[1])
out = sys.argv[2]
rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
side = int(np.ceil(np.sqrt(n)))
k = np.arange(n)
row, col = k // side, k % side
u, v = row / side, col / side
# Smooth regional composition (four groups), then multinomial counts per cell.
weights = np.stack([
    3.0 + np.sin(3 * u) + np.cos(2 * v),
    1.0 + u,
    0.5 + v,
    0.3 + 0.6 * u * v,
], axis=1) * rng.gamma(4.0, 0.25, size=(n, 4))
shares = weights / weights.sum(axis=1, keepdims=True)
totals = rng.integers(0, 401, size=n)
counts = np.empty((n, 4), dtype=np.int64)
rest = totals.copy()
left = np.ones(n)
for g in range(3):
    p = np.clip(shares[:, g] / left, 0, 1)
    counts[:, g] = rng.binomial(rest, p)
    rest -= counts[:, g]
    left -= shares[:, g]
counts[:, 3] = rest
ids = ["CRS3035RES1000mN%dE%d" % (2000000 + 1000 * r, 4000000 + 1000 * c) for r, c in zip(row, col)]
frame = pd.DataFrame({"GRD_ID": ids, **{f"g{g + 1}": counts[:, g].astype(np.float64) for g in range(4)}})
frame.to_parquet(out, index=False)
