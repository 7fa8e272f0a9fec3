//! Writing runs. Each write is one transaction: either all of a run is in
//! the store, or none of it.

use rusqlite::{params, Transaction};
use urbis_core::{AreaFacts, IndicatorRow};

use crate::read::{AreaInfo, DatasetInfo, IndicatorInfo};
use crate::{nullable, Result, Store};

/// An indicator run to store: its provenance, definitions and figures.
#[derive(Debug, Clone)]
pub struct RunInput<'a> {
    /// Project name from the configuration; a later run of the same project
    /// is what the dashboard shows, earlier ones stay as history.
    pub project: &'a str,
    /// `urbis 0.1.0`.
    pub software: &'a str,
    /// When the run was made (ISO 8601, UTC).
    pub created_at: &'a str,
    /// The configuration's text, for provenance.
    pub config: Option<&'a str>,
    /// The run's metadata (metadata.json) and publication review (review.json).
    pub metadata_json: &'a str,
    pub review_json: &'a str,
    pub indicators: &'a [IndicatorInfo],
    pub datasets: &'a [DatasetInfo],
    /// Areas with their level, parent and name; names and parents already in
    /// the store are kept where the run has none.
    pub areas: &'a [AreaInfo],
    /// The published table, after the publication rules.
    pub rows: &'a [IndicatorRow],
    /// Population and degree of urbanisation of the run's areas, if known.
    pub facts: &'a [AreaFacts],
}

/// A segregation result to store: indices by scale and the grid counts behind them.
#[derive(Debug, Clone)]
pub struct SegregationInput<'a> {
    /// Name of the data set (for example `munich_census_2011`).
    pub dataset: &'a str,
    pub software: &'a str,
    pub created_at: &'a str,
    /// Where the counts come from (file name and description).
    pub source: &'a str,
    /// Count columns used as groups, and the total column ('' for multigroup).
    pub groups: &'a [String],
    pub total: &'a str,
    pub rows: &'a [SegregationRow],
    pub grid: &'a [GridCounts],
}

/// One index at one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct SegregationRow {
    pub scale: String,
    pub index: String,
    /// The group it is computed for ('' for multigroup indices).
    pub group: String,
    pub value: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub units: u64,
}

/// One grid cell's count of a group and its total.
#[derive(Debug, Clone, PartialEq)]
pub struct GridCounts {
    pub cell: String,
    pub group: String,
    pub count: f64,
    pub total: f64,
}

impl Store {
    /// Writes a run in one transaction and returns its id.
    pub fn write_run(&mut self, run: &RunInput) -> Result<i64> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|source| crate::StoreError::Sqlite { path: path.clone(), source })?;
        let id = insert_run(&tx, run).map_err(|source| crate::StoreError::Sqlite { path: path.clone(), source })?;
        tx.commit().map_err(|source| crate::StoreError::Sqlite { path, source })?;
        Ok(id)
    }

    /// Writes a segregation result in one transaction and returns its id.
    pub fn write_segregation(&mut self, input: &SegregationInput) -> Result<i64> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|source| crate::StoreError::Sqlite { path: path.clone(), source })?;
        let id = insert_segregation(&tx, input)
            .map_err(|source| crate::StoreError::Sqlite { path: path.clone(), source })?;
        tx.commit().map_err(|source| crate::StoreError::Sqlite { path, source })?;
        Ok(id)
    }
}

pub(crate) fn insert_run(tx: &Transaction, run: &RunInput) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO runs (project, created_at, software, config, metadata, review) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![run.project, run.created_at, run.software, run.config, run.metadata_json, run.review_json],
    )?;
    let id = tx.last_insert_rowid();
    let mut datasets = tx.prepare("INSERT INTO datasets VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    for d in run.datasets {
        datasets.execute(params![id, d.name, d.file, d.rows as i64, d.years.join(","), d.design])?;
    }
    let mut indicators = tx.prepare("INSERT INTO indicators VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")?;
    for i in run.indicators {
        indicators.execute(params![
            id,
            i.id,
            i.label,
            i.family,
            i.unit,
            i.statistic,
            i.population,
            i.numerator,
            i.variable,
            i.source_type,
            i.reference
        ])?;
    }
    let mut areas = tx.prepare(
        "INSERT INTO areas (code, name, level, parent) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (code) DO UPDATE SET name = coalesce(excluded.name, name),
             level = excluded.level, parent = coalesce(excluded.parent, parent)",
    )?;
    for a in run.areas {
        areas.execute(params![a.code, a.name, a.level, a.parent])?;
    }
    let mut rows = tx.prepare(
        "INSERT INTO observations VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    )?;
    for r in run.rows {
        rows.execute(params![
            id,
            r.indicator,
            r.geo,
            r.geo_level,
            r.time,
            r.breakdown,
            r.group,
            r.measure.code(),
            r.unit,
            nullable(r.estimate),
            nullable(r.se),
            nullable(r.ci_low),
            nullable(r.ci_high),
            r.n.map(|n| n as i64),
            r.flag,
            r.conf_status,
            r.method,
            r.definition,
            r.significant
        ])?;
    }
    crate::facts::insert(tx, id, run.facts)?;
    Ok(id)
}

fn insert_segregation(tx: &Transaction, input: &SegregationInput) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO segregation_runs (dataset, created_at, software, source, groups, total) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![input.dataset, input.created_at, input.software, input.source, input.groups.join(","), input.total],
    )?;
    let id = tx.last_insert_rowid();
    let mut rows = tx.prepare("INSERT INTO segregation VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?;
    for r in input.rows {
        rows.execute(params![
            id,
            r.scale,
            r.index,
            r.group,
            nullable(r.value),
            nullable(r.se),
            nullable(r.ci_low),
            nullable(r.ci_high),
            r.units as i64
        ])?;
    }
    let mut cells = tx.prepare("INSERT INTO grid_counts VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for c in input.grid {
        cells.execute(params![id, c.cell, c.group, c.count, c.total])?;
    }
    Ok(id)
}
