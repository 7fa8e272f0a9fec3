//! Area facts (population, degree of urbanisation; `urbis_core::area`):
//! written with the run whose hierarchy gave them, and read from the
//! current runs, so a newer run or bundle of a project or publisher
//! replaces its facts as it replaces its figures.

use rusqlite::{params, Transaction};
use urbis_core::AreaFacts;

use crate::{Result, Store};

/// Adds the facts of run `run_id` (inside the run's transaction).
pub(crate) fn insert(tx: &Transaction, run_id: i64, facts: &[AreaFacts]) -> rusqlite::Result<()> {
    let mut insert = tx.prepare(
        "INSERT INTO area_facts (run_id, code, level, population, population_date, degurba, city_share)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for f in facts {
        insert.execute(params![
            run_id,
            f.code,
            f.level,
            f.population.and_then(crate::nullable),
            f.population_date,
            f.degurba,
            f.city_share.and_then(crate::nullable)
        ])?;
    }
    Ok(())
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<AreaFacts> {
    Ok(AreaFacts {
        code: r.get(0)?,
        level: r.get(1)?,
        population: r.get(2)?,
        population_date: r.get(3)?,
        degurba: r.get(4)?,
        city_share: r.get(5)?,
    })
}

const COLUMNS: &str = "code, level, population, population_date, degurba, city_share";

impl Store {
    /// The facts of the areas of `level` from the current runs; where two
    /// current runs give facts of the same area, the latest run's.
    pub fn area_facts(&self, level: &str) -> Result<Vec<AreaFacts>> {
        let all: Vec<AreaFacts> = self.query(
            &format!(
                "SELECT {COLUMNS} FROM area_facts WHERE level = ?1 AND run_id IN (SELECT id FROM current_runs)
                 ORDER BY run_id DESC, code"
            ),
            vec![rusqlite::types::Value::Text(level.to_string())],
            row,
        )?;
        let mut seen = std::collections::BTreeMap::new();
        for f in all {
            seen.entry(f.code.clone()).or_insert(f);
        }
        Ok(seen.into_values().collect())
    }

    /// The facts written with one run, by level and code.
    pub fn run_area_facts(&self, run_id: i64) -> Result<Vec<AreaFacts>> {
        self.query(
            &format!("SELECT {COLUMNS} FROM area_facts WHERE run_id = ?1 ORDER BY level, code"),
            vec![rusqlite::types::Value::Integer(run_id)],
            row,
        )
    }
}
