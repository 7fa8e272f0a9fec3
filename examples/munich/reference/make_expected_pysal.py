"""Reference values for examples/munich from PySAL segregation 2.5.4.

Run once by hand (never by the tests):
    python3 -m venv /tmp/pysal && /tmp/pysal/bin/pip install segregation==2.5.4
    /tmp/pysal/bin/python examples/munich/reference/make_expected_pysal.py \
        examples/munich/munich_1km_country_of_birth.csv > examples/munich/reference/expected_pysal.csv

Coarser grids are built here from the lower-left corner columns
(x_ll_3035, y_ll_3035), independently of urbis's parser of INSPIRE ids.
"""
import sys

import pandas as pd
import segregation
from segregation import multigroup as mg
from segregation import singlegroup as sg
from segregation.local import MultiLocationQuotient

GROUPS = ["born_DE", "born_EU27", "born_other_europe", "born_rest_world"]
SINGLE = [("dissimilarity", sg.Dissim), ("isolation", sg.Isolation), ("exposure", sg.Interaction),
          ("entropy", sg.Entropy), ("gini", sg.Gini), ("atkinson", sg.Atkinson)]
MULTI = [("multi_dissimilarity", mg.MultiDissim), ("multi_gini", mg.MultiGini),
         ("multi_information_theory", mg.MultiInfoTheory), ("multi_normalized_exposure", mg.MultiNormExposure),
         ("multi_relative_diversity", mg.MultiRelativeDiversity),
         ("multi_squared_coefficient_of_variation", mg.MultiSquaredCoefVar),
         ("multi_divergence", mg.MultiDivergence), ("multi_diversity", mg.MultiDiversity),
         ("simpsons_concentration", mg.SimpsonsConcentration), ("simpsons_interaction", mg.SimpsonsInteraction)]

cells = pd.read_csv(sys.argv[1])
rows = []
for scale in [1000, 2000, 5000, 10000]:
    df = cells.assign(x=cells.x_ll_3035 // scale, y=cells.y_ll_3035 // scale)
    df = df.groupby(["y", "x"], sort=False)[GROUPS + ["foreign_born", "total_known"]].sum().reset_index()
    n = len(df)
    for name, cls in SINGLE:
        rows.append((name, scale, "foreign_born", "", cls(df, "foreign_born", "total_known").statistic, n))
    for name, cls in MULTI:
        rows.append((name, scale, "", "", cls(df, GROUPS).statistic, n))
    for g in GROUPS:
        for name, cls in SINGLE:
            rows.append((name, scale, g, "", cls(df, g, "total_known").statistic, n))
    if scale == 1000:
        lq = MultiLocationQuotient(df, ["foreign_born", "born_DE"]).statistics[:, 0]
        for (_, cell), v in zip(df.iterrows(), lq):
            unit = f"CRS3035RES1000mN{int(cell.y) * 1000}E{int(cell.x) * 1000}"
            rows.append(("lq", scale, "foreign_born", unit, v, n))

print(f"# PySAL segregation {segregation.__version__}, pandas {pd.__version__}")
print("index,scale,group,unit,value,units")
for index, scale, group, unit, value, n in rows:
    print(f"{index},{scale},{group},{unit},{float(value)!r},{n}")
