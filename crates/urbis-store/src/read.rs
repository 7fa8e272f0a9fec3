//! The queries the dashboard and the API answer from. Figures come from the
//! current run of each project (its latest); runs keep their history.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params_from_iter, types::Value, Row};
use serde::{Deserialize, Serialize};
use urbis_core::{IndicatorRow, Measure};

use crate::{Result, Store};

/// An indicator's definition, as its run described it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorInfo {
    pub id: String,
    pub label: String,
    pub family: String,
    pub unit: String,
    pub statistic: String,
    pub population: String,
    pub numerator: String,
    pub variable: String,
    pub source_type: String,
    pub reference: String,
}

/// A data set a run read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub name: String,
    pub file: String,
    pub rows: u64,
    pub years: Vec<String>,
    pub design: String,
}

/// An area: code, name when known, level and the area containing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaInfo {
    pub code: String,
    pub name: Option<String>,
    pub level: String,
    pub parent: Option<String>,
}

/// A run and its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    pub id: i64,
    pub project: String,
    pub created_at: String,
    pub software: String,
    pub current: bool,
    pub datasets: Vec<DatasetInfo>,
    pub figures: u64,
    /// `local` (written by `urbis indicators --store`) or `imported` (from a bundle).
    pub origin: String,
    /// Where an imported run comes from; `None` for local runs.
    pub provenance: Option<Provenance>,
}

/// Where an imported run comes from: its publisher's bundle (docs/bundle.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// The publisher's code (`--publisher` of `urbis export`), if given.
    pub publisher_code: Option<String>,
    /// The run the publisher exported, in the publisher's store: id and time.
    pub source_run_id: i64,
    pub source_created_at: String,
    /// When the bundle was made, the SHA-256 of its table (`indicators.sdmx.csv`), and when it was imported.
    pub bundle_created_at: String,
    pub table_sha256: String,
    pub imported_at: String,
}

/// The reference of comparisons for one indicator and breakdown
/// ([`Store::comparability`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    /// The runs whose figures are the reference.
    pub reference_runs: BTreeSet<i64>,
    /// Their concept definitions and methods.
    pub definitions: BTreeSet<String>,
    pub methods: BTreeSet<String>,
}

/// How many figures of a run have one definition and method, for one
/// indicator and breakdown.
struct FigureCount {
    key: (String, String),
    run_id: i64,
    definition: String,
    method: String,
    local: bool,
    project: String,
    figures: i64,
}

/// What the store holds, in numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub runs: Vec<RunInfo>,
    pub indicators: u64,
    pub areas: u64,
    pub figures: u64,
    pub segregation_datasets: Vec<String>,
}

/// One segregation index at one scale, of the current run of a data set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegregationValue {
    pub dataset: String,
    pub scale: String,
    pub index: String,
    pub group: String,
    pub value: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub units: u64,
}

/// Which figures to read; `None` and empty lists mean "all".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservationFilter {
    pub indicator: Option<String>,
    pub geo: Vec<String>,
    pub geo_level: Option<String>,
    pub time: Option<String>,
    pub breakdown: Option<String>,
    pub group: Vec<String>,
    pub measure: Option<String>,
}

/// Whether `place` is `area` or lies inside it, following the areas'
/// parents (a cycle in the parents ends the walk).
pub(crate) fn area_within(conn: &rusqlite::Connection, place: &str, area: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "WITH RECURSIVE up(code) AS (
             SELECT ?1 UNION SELECT a.parent FROM areas a JOIN up ON a.code = up.code WHERE a.parent IS NOT NULL
         ) SELECT count(*) > 0 FROM up WHERE code = ?2",
        [place, area],
        |r| r.get(0),
    )
}

impl Store {
    pub(crate) fn query<T>(
        &self,
        sql: &str,
        args: Vec<Value>,
        map: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let run = || -> rusqlite::Result<Vec<T>> {
            let mut statement = self.conn.prepare_cached(sql)?;
            let rows = statement.query_map(params_from_iter(args), map)?;
            rows.collect()
        };
        run().map_err(|e| self.error(e))
    }

    /// Every run, newest first, with its data sets.
    pub fn runs(&self) -> Result<Vec<RunInfo>> {
        let mut runs = self.query(
            "SELECT r.id, r.project, r.created_at, r.software, r.id IN (SELECT id FROM current_runs),
                    (SELECT count(*) FROM observations o WHERE o.run_id = r.id),
                    r.origin, r.publisher_code, r.source_run_id, r.source_created_at, r.bundle_created_at,
                    r.table_sha256, r.imported_at
             FROM runs r ORDER BY r.id DESC",
            vec![],
            |r| {
                let origin: String = r.get(6)?;
                let provenance = if origin == "imported" {
                    Some(Provenance {
                        publisher_code: r.get(7)?,
                        source_run_id: r.get(8)?,
                        source_created_at: r.get(9)?,
                        bundle_created_at: r.get(10)?,
                        table_sha256: r.get(11)?,
                        imported_at: r.get(12)?,
                    })
                } else {
                    None
                };
                Ok(RunInfo {
                    origin,
                    provenance,
                    id: r.get(0)?,
                    project: r.get(1)?,
                    created_at: r.get(2)?,
                    software: r.get(3)?,
                    current: r.get(4)?,
                    datasets: Vec::new(),
                    figures: r.get::<_, i64>(5)? as u64,
                })
            },
        )?;
        for run in &mut runs {
            run.datasets = self.query(
                "SELECT name, file, rows, years, design FROM datasets WHERE run_id = ?1 ORDER BY name",
                vec![Value::Integer(run.id)],
                |r| {
                    let years: String = r.get(3)?;
                    Ok(DatasetInfo {
                        name: r.get(0)?,
                        file: r.get(1)?,
                        rows: r.get::<_, i64>(2)? as u64,
                        years: years.split(',').filter(|y| !y.is_empty()).map(str::to_string).collect(),
                        design: r.get(4)?,
                    })
                },
            )?;
        }
        Ok(runs)
    }

    /// The numbers of the overview.
    pub fn summary(&self) -> Result<Summary> {
        let count = |sql: &str| -> Result<u64> {
            self.conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as u64).map_err(|e| self.error(e))
        };
        Ok(Summary {
            runs: self.runs()?,
            indicators: count(
                "SELECT count(DISTINCT id) FROM indicators WHERE run_id IN (SELECT id FROM current_runs)",
            )?,
            areas: count("SELECT count(*) FROM areas")?,
            figures: count("SELECT count(*) FROM observations WHERE run_id IN (SELECT id FROM current_runs)")?,
            segregation_datasets: self.segregation_datasets()?,
        })
    }

    /// The indicators of the current runs, in the order their runs listed
    /// them (a later project's definition wins for an id in several).
    pub fn indicators(&self) -> Result<Vec<IndicatorInfo>> {
        self.query(
            "SELECT id, label, family, unit, statistic, population, numerator, variable, source_type, reference
             FROM indicators i
             WHERE run_id = (SELECT max(run_id) FROM indicators j
                             WHERE j.id = i.id AND j.run_id IN (SELECT id FROM current_runs))
             ORDER BY run_id, rowid",
            vec![],
            indicator_info,
        )
    }

    /// One indicator's definition and the id of the run it comes from.
    pub fn indicator(&self, id: &str) -> Result<Option<(IndicatorInfo, i64)>> {
        let found = self.query(
            "SELECT id, label, family, unit, statistic, population, numerator, variable, source_type, reference, run_id
             FROM indicators WHERE id = ?1 AND run_id IN (SELECT id FROM current_runs)
             ORDER BY run_id DESC LIMIT 1",
            vec![Value::Text(id.to_string())],
            |r| Ok((indicator_info(r)?, r.get(10)?)),
        )?;
        Ok(found.into_iter().next())
    }

    /// A run's metadata file (metadata.json) as stored.
    pub fn run_metadata(&self, run_id: i64) -> Result<Option<String>> {
        Ok(self
            .query("SELECT metadata FROM runs WHERE id = ?1", vec![Value::Integer(run_id)], |r| r.get(0))?
            .into_iter()
            .next())
    }

    /// A run's publication review (review.json) as stored.
    pub fn run_review(&self, run_id: i64) -> Result<Option<String>> {
        Ok(self
            .query("SELECT review FROM runs WHERE id = ?1", vec![Value::Integer(run_id)], |r| r.get(0))?
            .into_iter()
            .next())
    }

    /// Every area, by level then code.
    pub fn areas(&self) -> Result<Vec<AreaInfo>> {
        self.query("SELECT code, name, level, parent FROM areas ORDER BY level, code", vec![], area_info)
    }

    /// One area.
    pub fn area(&self, code: &str) -> Result<Option<AreaInfo>> {
        Ok(self
            .query(
                "SELECT code, name, level, parent FROM areas WHERE code = ?1",
                vec![Value::Text(code.to_string())],
                area_info,
            )?
            .into_iter()
            .next())
    }

    /// The levels that have figures, from the finest (most areas) to the coarsest.
    pub fn levels(&self) -> Result<Vec<String>> {
        self.query(
            "SELECT geo_level FROM observations WHERE run_id IN (SELECT id FROM current_runs)
             GROUP BY geo_level ORDER BY count(DISTINCT geo) DESC, geo_level",
            vec![],
            |r| r.get(0),
        )
    }

    /// The figures of the current runs that pass the filter, in a stable
    /// order. When imported runs are current, a figure whose concept
    /// definition is not one of the reference's (see [`Store::comparability`])
    /// gets the flag `d`.
    pub fn observations(&self, filter: &ObservationFilter) -> Result<Vec<IndicatorRow>> {
        let mut rows = self.observations_with_runs(filter)?;
        if self.has_current_imports()? {
            let reference = self.comparability()?;
            for (run_id, r) in &mut rows {
                let Some(c) = reference.get(&(r.indicator.clone(), r.breakdown.clone())) else { continue };
                if c.reference_runs.contains(run_id) || c.definitions.contains(&r.definition) {
                    continue;
                }
                if !r.flag.contains('d') {
                    r.flag.push('d');
                }
            }
        }
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    }

    /// Whether a run imported from a bundle is current.
    pub fn has_current_imports(&self) -> Result<bool> {
        let found: Vec<i64> = self.query(
            "SELECT id FROM runs WHERE origin = 'imported' AND id IN (SELECT id FROM current_runs) LIMIT 1",
            vec![],
            |r| r.get(0),
        )?;
        Ok(!found.is_empty())
    }

    /// For each indicator and breakdown of the current runs, the reference
    /// figures are computed under: the store's own (local) runs, or, when
    /// only imported runs have figures, the publisher with the most figures
    /// (ties: the first by name). Its concept definitions and methods are
    /// the reference; figures of other runs under another definition are
    /// flagged `d`, and other methods are named by the pages and the API.
    pub fn comparability(&self) -> Result<BTreeMap<(String, String), Reference>> {
        let counts: Vec<FigureCount> = self.query(
            "SELECT o.indicator, o.breakdown, o.run_id, o.definition, o.method, r.origin = 'local', r.project, count(*)
             FROM observations o JOIN runs r ON r.id = o.run_id
             WHERE o.run_id IN (SELECT id FROM current_runs)
             GROUP BY o.indicator, o.breakdown, o.run_id, o.definition, o.method",
            vec![],
            |r| {
                Ok(FigureCount {
                    key: (r.get(0)?, r.get(1)?),
                    run_id: r.get(2)?,
                    definition: r.get(3)?,
                    method: r.get(4)?,
                    local: r.get(5)?,
                    project: r.get(6)?,
                    figures: r.get(7)?,
                })
            },
        )?;
        let mut by_key: BTreeMap<(String, String), Vec<FigureCount>> = BTreeMap::new();
        for c in counts {
            by_key.entry(c.key.clone()).or_default().push(c);
        }
        let mut out = BTreeMap::new();
        for (key, list) in by_key {
            let local: BTreeSet<i64> = list.iter().filter(|c| c.local).map(|c| c.run_id).collect();
            let reference_runs = if local.is_empty() {
                let mut per_run: BTreeMap<(String, i64), i64> = BTreeMap::new();
                for c in &list {
                    *per_run.entry((c.project.clone(), c.run_id)).or_default() += c.figures;
                }
                let best = per_run.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(k, _)| k.1);
                best.into_iter().collect()
            } else {
                local
            };
            let of_reference = list.iter().filter(|c| reference_runs.contains(&c.run_id));
            let definitions = of_reference.clone().map(|c| c.definition.clone()).collect();
            let methods = of_reference.map(|c| c.method.clone()).collect();
            out.insert(key, Reference { reference_runs, definitions, methods });
        }
        Ok(out)
    }

    /// The figures of the current runs with the id of the run each comes from.
    pub fn observations_with_runs(&self, filter: &ObservationFilter) -> Result<Vec<(i64, IndicatorRow)>> {
        let mut sql = String::from(
            "SELECT indicator, geo, geo_level, time, breakdown, grp, measure, unit, estimate, se, ci_low, ci_high,
                    n, flag, conf_status, method, definition, significant, run_id
             FROM observations WHERE run_id IN (SELECT id FROM current_runs)",
        );
        let mut args = Vec::new();
        let mut equal = |column: &str, value: &Option<String>| {
            if let Some(v) = value {
                args.push(Value::Text(v.clone()));
                sql.push_str(&format!(" AND {column} = ?{}", args.len()));
            }
        };
        equal("indicator", &filter.indicator);
        equal("geo_level", &filter.geo_level);
        equal("time", &filter.time);
        equal("breakdown", &filter.breakdown);
        equal("measure", &filter.measure);
        for (column, values) in [("geo", &filter.geo), ("grp", &filter.group)] {
            if values.is_empty() {
                continue;
            }
            let mut marks = Vec::new();
            for v in values {
                args.push(Value::Text(v.clone()));
                marks.push(format!("?{}", args.len()));
            }
            sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
        }
        sql.push_str(" ORDER BY indicator, geo_level, geo, time, breakdown, measure, grp, run_id");
        self.query(&sql, args, |r| Ok((r.get(18)?, observation(r)?)))
    }

    /// Names of the data sets with segregation results.
    pub fn segregation_datasets(&self) -> Result<Vec<String>> {
        self.query(
            "SELECT dataset FROM segregation_runs WHERE id IN (SELECT id FROM current_segregation_runs) ORDER BY dataset",
            vec![],
            |r| r.get(0),
        )
    }

    /// The indices of a data set's current segregation run.
    pub fn segregation(&self, dataset: &str) -> Result<Vec<SegregationValue>> {
        self.query(
            "SELECT r.dataset, s.scale, s.idx, s.grp, s.value, s.se, s.ci_low, s.ci_high, s.units
             FROM segregation s JOIN segregation_runs r ON r.id = s.run_id
             WHERE r.dataset = ?1 AND r.id IN (SELECT id FROM current_segregation_runs)
             ORDER BY s.rowid",
            vec![Value::Text(dataset.to_string())],
            |r| {
                Ok(SegregationValue {
                    dataset: r.get(0)?,
                    scale: r.get(1)?,
                    index: r.get(2)?,
                    group: r.get(3)?,
                    value: real(r, 4)?,
                    se: real(r, 5)?,
                    ci_low: real(r, 6)?,
                    ci_high: real(r, 7)?,
                    units: r.get::<_, i64>(8)? as u64,
                })
            },
        )
    }

    /// The source description of a data set's current segregation run.
    pub fn segregation_source(&self, dataset: &str) -> Result<Option<String>> {
        Ok(self
            .query(
                "SELECT source FROM segregation_runs WHERE dataset = ?1 ORDER BY id DESC LIMIT 1",
                vec![Value::Text(dataset.to_string())],
                |r| r.get(0),
            )?
            .into_iter()
            .next())
    }

    /// The grid cells of a data set for one group: (cell id, count, total).
    pub fn grid(&self, dataset: &str, group: &str) -> Result<Vec<(String, f64, f64)>> {
        self.query(
            "SELECT g.cell, g.count, g.total FROM grid_counts g JOIN segregation_runs r ON r.id = g.run_id
             WHERE r.dataset = ?1 AND g.grp = ?2 AND r.id IN (SELECT id FROM current_segregation_runs)
             ORDER BY g.rowid",
            vec![Value::Text(dataset.to_string()), Value::Text(group.to_string())],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    }
}

fn real(r: &Row, k: usize) -> rusqlite::Result<f64> {
    Ok(r.get::<_, Option<f64>>(k)?.unwrap_or(f64::NAN))
}

pub(crate) fn indicator_info(r: &Row) -> rusqlite::Result<IndicatorInfo> {
    Ok(IndicatorInfo {
        id: r.get(0)?,
        label: r.get(1)?,
        family: r.get(2)?,
        unit: r.get(3)?,
        statistic: r.get(4)?,
        population: r.get(5)?,
        numerator: r.get(6)?,
        variable: r.get(7)?,
        source_type: r.get(8)?,
        reference: r.get(9)?,
    })
}

fn area_info(r: &Row) -> rusqlite::Result<AreaInfo> {
    Ok(AreaInfo { code: r.get(0)?, name: r.get(1)?, level: r.get(2)?, parent: r.get(3)? })
}

pub(crate) fn observation(r: &Row) -> rusqlite::Result<IndicatorRow> {
    let measure: String = r.get(6)?;
    Ok(IndicatorRow {
        indicator: r.get(0)?,
        geo: r.get(1)?,
        geo_level: r.get(2)?,
        time: r.get(3)?,
        breakdown: r.get(4)?,
        group: r.get(5)?,
        measure: Measure::parse(&measure).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                6,
                rusqlite::types::Type::Text,
                format!("unknown measure '{measure}'").into(),
            )
        })?,
        unit: r.get(7)?,
        estimate: real(r, 8)?,
        se: real(r, 9)?,
        ci_low: real(r, 10)?,
        ci_high: real(r, 11)?,
        n: r.get::<_, Option<i64>>(12)?.map(|n| n as u64),
        flag: r.get(13)?,
        conf_status: r.get(14)?,
        method: r.get(15)?,
        definition: r.get(16)?,
        significant: r.get(17)?,
    })
}
