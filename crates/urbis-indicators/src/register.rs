//! Active-citizenship indicators from administrative counts: the
//! naturalisation rate (acquisitions of citizenship per 100 foreign citizens
//! resident) and the share of long-term residents among non-EU citizens.
//! Registers are complete counts: the figures carry no sampling error.

use std::collections::BTreeMap;
use std::path::Path;

use urbis_core::{Column, IndicatorRow, Measure};
use urbis_io::{read_table, ColumnType, ReadOptions};

use crate::catalogue::Kind;
use crate::classify::{EU_FOR, FOR, NEU_FOR};
use crate::config::{ConfigError, Register};
use crate::geography::Hierarchy;
use crate::pipeline::{RunError, Selected};

/// Counts per (area, year, group): population, acquisitions, long-term residents.
type Counts = BTreeMap<(String, String, String), [f64; 3]>;

pub(crate) fn rows(
    register: &Register,
    text: &crate::config::Source,
    base: &Path,
    hierarchy: &Hierarchy,
    levels: &[String],
    indicators: &[Selected],
) -> Result<Vec<IndicatorRow>, RunError> {
    let wanted: Vec<&Selected> = indicators.iter().filter(|i| i.def.kind == Kind::Register).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let fail = |message: String| RunError(text.error(&register.file, message));
    let path = base.join(register.file.get_ref());
    let count_columns =
        [register.population.clone(), register.acquisitions.clone(), register.long_term_residents.clone()];
    let mut options = ReadOptions {
        columns: ["geo", "year", "citizen"]
            .iter()
            .map(|s| s.to_string())
            .chain(count_columns.iter().cloned())
            .collect(),
        ..Default::default()
    };
    for c in ["geo", "year", "citizen"] {
        options.types.insert(c.to_string(), ColumnType::Text);
    }
    for c in &count_columns {
        options.types.insert(c.clone(), ColumnType::Number);
    }
    let table = read_table(&path, &options).map_err(|e| fail(e.to_string()))?;
    let file = path.display().to_string();
    let geo = table.column("geo").expect("read");
    let mut counts: Counts = BTreeMap::new();
    for row in 0..table.n_rows() {
        let group = table.column("citizen").expect("read").display(row);
        if ![FOR, EU_FOR, NEU_FOR].contains(&group.as_str()) {
            return Err(fail(format!(
                "{file}: row {}, column 'citizen': '{group}' is not FOR, EU27_2020_FOR or NEU27_2020_FOR",
                row + 1
            )));
        }
        let mut values = [0.0; 3];
        for (v, c) in values.iter_mut().zip(&count_columns) {
            let Some(Column::Number(x)) = table.column(c) else { unreachable!("numeric") };
            if x[row].is_nan() || x[row] < 0.0 {
                return Err(fail(format!(
                    "{file}: row {}, column '{c}': a count must be a non-negative number",
                    row + 1
                )));
            }
            *v = x[row];
        }
        let year = table.column("year").expect("read").display(row);
        for (k, level) in levels.iter().enumerate() {
            let area = hierarchy.codes_at(&single(geo, row), k).map_err(|e| fail(format!("{file}: {e}")))?.display(0);
            let entry = counts
                .entry((format!("{k}\u{1f}{level}\u{1f}{area}"), year.clone(), group.clone()))
                .or_insert([0.0; 3]);
            for (a, b) in entry.iter_mut().zip(values) {
                *a += b;
            }
        }
    }
    let mut rows = Vec::new();
    for indicator in wanted {
        let (numerator, groups): (usize, &[&str]) = match indicator.def.id.as_str() {
            "naturalisation_rate" => (1, &[FOR, EU_FOR, NEU_FOR]),
            "ltr_share" => (2, &[NEU_FOR]),
            other => {
                return Err(RunError(ConfigError { line: None, message: format!("no register rule for {other}") }))
            }
        };
        for ((key, year, group), values) in &counts {
            if !groups.contains(&group.as_str()) || values[0] <= 0.0 {
                continue;
            }
            let mut parts = key.split('\u{1f}').skip(1);
            let (level, area) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            let value = 100.0 * values[numerator] / values[0];
            rows.push(IndicatorRow {
                indicator: indicator.def.id.clone(),
                geo: area.to_string(),
                geo_level: level.to_string(),
                time: year.clone(),
                breakdown: "citizen".into(),
                group: group.clone(),
                measure: Measure::Value,
                unit: "PC".into(),
                estimate: value,
                se: 0.0,
                ci_low: value,
                ci_high: value,
                n: Some(values[0] as u64),
                flag: String::new(),
                conf_status: "F".into(),
                method: "register".into(),
                definition: "citizen.register.v1".into(),
                significant: None,
            });
        }
    }
    Ok(rows)
}

/// One row of a column, as a column.
fn single(column: &Column, row: usize) -> Column {
    match column {
        Column::Number(v) => Column::Number(vec![v[row]]),
        Column::Text(t) => Column::Text(urbis_core::TextColumn {
            codes: vec![if t.codes[row] == urbis_core::MISSING_CODE { t.codes[row] } else { 0 }],
            levels: t.get(row).map(|s| vec![s.to_string()]).unwrap_or_default(),
        }),
    }
}
