//! The indicator table as a JSON-stat 2.0 dataset (<https://json-stat.org/full/>).
//!
//! The cube has the dimensions [`DIMENSIONS`] (`id`), each with its categories
//! in order of first appearance in the rows (`category.index`, an object code →
//! position) and their labels (`category.label`: from [`DatasetMeta::labels`]
//! where given, else the code). `size` holds the number of categories per
//! dimension, and `value` is the dense array of all cells in row-major order
//! (the last dimension, `unit`, varies fastest): cell
//! `Σ position_d × Π_{e>d} size_e`. A cell without a row, or whose figure is
//! not published (NaN estimate, or `conf_status` other than `F`), is `null`.
//!
//! `status` (omitted when empty) is an object keyed by cell index giving the
//! row's flag, with `c` in front when the figure is confidential
//! (`conf_status` `C` or `D`) and the flag has no `c` yet.
//!
//! `extension` carries dense arrays aligned with `value`, `null` where a cell
//! has no row or the field is empty: `se`, `ci_low`, `ci_high` (also `null`
//! for unpublished figures, as they would reveal them), `n`, `conf_status`,
//! `method`, `definition`, plus `geo_level` and `significant`. The area level
//! is a dimension too, since one code may stand at two levels (a city that is
//! also a NUTS 3 region).
//!
//! `role` marks `time` and `geo`. Two rows for the same cell are an error, and
//! so is a cube of more than [`MAX_CELLS`] cells (split the table, e.g. by indicator).

use std::collections::{BTreeMap, HashMap};

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use urbis_core::IndicatorRow;

use super::{is_confidential, is_published, render_error};
use crate::error::Result;

/// The dimensions of the cube, in order (`id`).
pub const DIMENSIONS: [&str; 8] = ["indicator", "geo_level", "geo", "time", "breakdown", "group", "measure", "unit"];

/// Labels of the dimensions themselves.
const DIMENSION_LABELS: [&str; 8] = [
    "Indicator",
    "Area level",
    "Geographic area",
    "Time",
    "Breakdown",
    "Population group",
    "Measure",
    "Unit of measure",
];

/// The largest cube rendered (cells of the dense arrays).
pub const MAX_CELLS: usize = 10_000_000;

const FORMAT: &str = "JSON-stat";

/// Dataset-level metadata of a JSON-stat dataset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetMeta {
    /// Title of the dataset (`label`); left out when empty.
    pub label: String,
    /// Producer of the figures (`source`); left out when empty.
    pub source: String,
    /// Date of the last update, ISO 8601 (`updated`); left out when empty.
    pub updated: String,
    /// Category labels by dimension id (see [`DIMENSIONS`]) and code.
    pub labels: BTreeMap<String, BTreeMap<String, String>>,
}

/// A JSON object whose members keep their insertion order.
struct Ordered<K, V>(Vec<(K, V)>);

impl<K: Serialize, V: Serialize> Serialize for Ordered<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<K, V> Ordered<K, V> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Serialize)]
struct Dataset<'a> {
    version: &'static str,
    class: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    label: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    source: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    updated: &'a str,
    id: [&'static str; 8],
    size: Vec<usize>,
    role: Role,
    dimension: Ordered<&'static str, Dimension<'a>>,
    value: Dense<'a, f64>,
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    status: Ordered<String, String>,
    extension: Extension<'a>,
}

#[derive(Serialize)]
struct Role {
    time: [&'static str; 1],
    geo: [&'static str; 1],
}

#[derive(Serialize)]
struct Dimension<'a> {
    label: &'static str,
    category: Category<'a>,
}

#[derive(Serialize)]
struct Category<'a> {
    index: Ordered<&'a str, usize>,
    label: Ordered<&'a str, &'a str>,
}

#[derive(Serialize)]
struct Extension<'a> {
    se: Dense<'a, f64>,
    ci_low: Dense<'a, f64>,
    ci_high: Dense<'a, f64>,
    n: Dense<'a, u64>,
    conf_status: Dense<'a, &'a str>,
    method: Dense<'a, &'a str>,
    definition: Dense<'a, &'a str>,
    geo_level: Dense<'a, &'a str>,
    significant: Dense<'a, bool>,
}

/// A dense array over all cells of the cube, `null` where a cell has no row
/// or `get` gives nothing: written cell by cell from the rows sorted by
/// cell, without a vector of all cells in memory.
struct Dense<'a, T> {
    cells: usize,
    /// (cell, row), increasing by cell.
    filled: &'a [(usize, &'a IndicatorRow)],
    get: fn(&'a IndicatorRow) -> Option<T>,
}

impl<'a, T: Serialize> Serialize for Dense<'a, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.cells))?;
        let mut filled = self.filled.iter().peekable();
        for cell in 0..self.cells {
            match filled.next_if(|(c, _)| *c == cell) {
                Some(&(_, row)) => seq.serialize_element(&(self.get)(row))?,
                None => seq.serialize_element(&None::<T>)?,
            }
        }
        seq.end()
    }
}

fn code(row: &IndicatorRow, dimension: usize) -> &str {
    match dimension {
        0 => &row.indicator,
        1 => &row.geo_level,
        2 => &row.geo,
        3 => &row.time,
        4 => &row.breakdown,
        5 => &row.group,
        6 => row.measure.code(),
        _ => &row.unit,
    }
}

fn finite(x: f64) -> Option<f64> {
    Some(x).filter(|x| x.is_finite())
}

fn non_empty(s: &str) -> Option<&str> {
    Some(s).filter(|s| !s.is_empty())
}

/// Renders the rows as a JSON-stat 2.0 dataset (compact UTF-8 JSON).
pub fn render(rows: &[IndicatorRow], meta: &DatasetMeta) -> Result<Vec<u8>> {
    // Categories of each dimension in order of first appearance.
    let mut categories: Vec<Vec<&str>> = vec![Vec::new(); DIMENSIONS.len()];
    let mut positions: Vec<HashMap<&str, usize>> = vec![HashMap::new(); DIMENSIONS.len()];
    for row in rows {
        for (d, (cats, pos)) in categories.iter_mut().zip(&mut positions).enumerate() {
            let c = code(row, d);
            pos.entry(c).or_insert_with(|| {
                cats.push(c);
                cats.len() - 1
            });
        }
    }
    let size: Vec<usize> = categories.iter().map(Vec::len).collect();
    let cells =
        size.iter().try_fold(1usize, |acc, &s| acc.checked_mul(s)).filter(|&c| c <= MAX_CELLS).ok_or_else(|| {
            render_error(
                FORMAT,
                format!(
                    "the cube {} has more than {MAX_CELLS} cells for {} rows; split the table (e.g. by indicator)",
                    size.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" × "),
                    rows.len()
                ),
            )
        })?;
    let mut strides = vec![1usize; size.len()];
    for d in (0..size.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * size[d + 1];
    }

    let mut filled = vec![false; cells];
    let mut at: Vec<(usize, &IndicatorRow)> = Vec::with_capacity(rows.len());
    let mut status = Vec::new();
    for row in rows {
        let cell: usize = (0..DIMENSIONS.len()).map(|d| positions[d][code(row, d)] * strides[d]).sum();
        if std::mem::replace(&mut filled[cell], true) {
            let key: Vec<String> =
                (0..DIMENSIONS.len()).map(|d| format!("{}={}", DIMENSIONS[d], code(row, d))).collect();
            return Err(render_error(FORMAT, format!("two rows for the same cell ({})", key.join(", "))));
        }
        at.push((cell, row));
        let flag = row.flag.trim();
        let code =
            if is_confidential(&row.conf_status) && !flag.contains('c') { format!("c{flag}") } else { flag.into() };
        if !code.is_empty() {
            status.push((cell, code));
        }
    }
    drop(filled);
    at.sort_unstable_by_key(|&(cell, _)| cell);
    // Unpublished figures have no value, SE or interval (they would reveal them).
    let value = Dense { cells, filled: &at, get: |row| if is_published(row) { finite(row.estimate) } else { None } };
    let extension = Extension {
        se: Dense { cells, filled: &at, get: |row| if is_published(row) { finite(row.se) } else { None } },
        ci_low: Dense { cells, filled: &at, get: |row| if is_published(row) { finite(row.ci_low) } else { None } },
        ci_high: Dense { cells, filled: &at, get: |row| if is_published(row) { finite(row.ci_high) } else { None } },
        n: Dense { cells, filled: &at, get: |row| row.n },
        conf_status: Dense { cells, filled: &at, get: |row| non_empty(&row.conf_status) },
        method: Dense { cells, filled: &at, get: |row| non_empty(&row.method) },
        definition: Dense { cells, filled: &at, get: |row| non_empty(&row.definition) },
        geo_level: Dense { cells, filled: &at, get: |row| non_empty(&row.geo_level) },
        significant: Dense { cells, filled: &at, get: |row| row.significant },
    };
    status.sort_by_key(|&(cell, _)| cell);

    let dimension = DIMENSIONS
        .iter()
        .zip(DIMENSION_LABELS)
        .zip(&categories)
        .map(|((&id, label), cats)| {
            let names = meta.labels.get(id);
            let index = cats.iter().enumerate().map(|(i, &c)| (c, i)).collect();
            let labels = cats.iter().map(|&c| (c, names.and_then(|m| m.get(c)).map_or(c, String::as_str))).collect();
            (id, Dimension { label, category: Category { index: Ordered(index), label: Ordered(labels) } })
        })
        .collect();
    let dataset = Dataset {
        version: "2.0",
        class: "dataset",
        label: &meta.label,
        source: &meta.source,
        updated: &meta.updated,
        id: DIMENSIONS,
        size,
        role: Role { time: ["time"], geo: ["geo"] },
        dimension: Ordered(dimension),
        value,
        status: Ordered(status.into_iter().map(|(cell, code)| (cell.to_string(), code)).collect()),
        extension,
    };
    // About five bytes per cell in each of the ten dense arrays.
    let mut out = Vec::with_capacity(cells.saturating_mul(50).saturating_add(rows.len() * 200));
    serde_json::to_writer(&mut out, &dataset).map_err(|e| render_error(FORMAT, e))?;
    Ok(out)
}
