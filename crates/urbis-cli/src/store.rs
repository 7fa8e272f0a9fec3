//! Writing runs into the store (`--store FILE`): the pipeline's run and a
//! segregation result, mapped to the store's records.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::{Context, Result};
use urbis_indicators::pipeline::Run;
use urbis_store::{AreaInfo, DatasetInfo, IndicatorInfo, RunInput, SegregationInput, Store};

use crate::output::json;

/// Writes an indicator run (with its configuration's text) into the store
/// in one transaction; returns the run's id.
pub fn write_run(path: &Path, config_text: &str, run: &Run) -> Result<i64> {
    let metadata = json(&serde_json::json!({ "metadata": &run.metadata, "report": &run.report }))?;
    let metadata: serde_json::Value = serde_json::from_slice(&metadata)?;
    let metadata_json = serde_json::to_string(&flatten(metadata))?;
    let review_json = serde_json::to_string(&run.review)?;
    let indicators: Vec<IndicatorInfo> = run
        .metadata
        .indicators
        .iter()
        .map(|i| IndicatorInfo {
            id: i.id.clone(),
            label: i.label.clone(),
            family: i.family.clone(),
            unit: i.unit.clone(),
            statistic: serde_json::to_value(i.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            population: i.population.clone(),
            numerator: i.numerator.clone(),
            variable: i.variable.clone(),
            source_type: i.source.clone(),
            reference: i.reference.clone(),
        })
        .collect();
    let datasets: Vec<DatasetInfo> = run
        .metadata
        .sources
        .iter()
        .map(|s| DatasetInfo {
            name: s.name.clone(),
            file: s.file.clone(),
            rows: s.rows as u64,
            years: s.years.clone(),
            design: s.design.clone(),
        })
        .collect();
    let names = nuts_names();
    let mut areas: Vec<AreaInfo> = run
        .areas
        .iter()
        .map(|a| AreaInfo {
            code: a.code.clone(),
            name: names.get(&a.code).cloned(),
            level: a.level.clone(),
            parent: a.parent.clone(),
        })
        .collect();
    let known: BTreeSet<String> = areas.iter().map(|a| a.code.clone()).collect();
    let from_rows: BTreeSet<(&str, &str)> =
        run.rows.iter().filter(|r| !known.contains(&r.geo)).map(|r| (r.geo.as_str(), r.geo_level.as_str())).collect();
    areas.extend(from_rows.into_iter().map(|(code, level)| AreaInfo {
        code: code.to_string(),
        name: names.get(code).cloned(),
        level: level.to_string(),
        parent: None,
    }));
    let input = RunInput {
        project: &run.metadata.project,
        software: &run.metadata.software,
        created_at: &urbis_store::now_utc(),
        config: Some(config_text),
        metadata_json: &metadata_json,
        review_json: &review_json,
        indicators: &indicators,
        datasets: &datasets,
        areas: &areas,
        rows: &run.rows,
        facts: &run.facts,
    };
    let mut store = Store::open(path)?;
    Ok(store.write_run(&input)?)
}

/// `{"metadata": {...}, "report": {...}}` as metadata.json writes it: the
/// metadata's members and the report beside them.
fn flatten(value: serde_json::Value) -> serde_json::Value {
    let mut out = value["metadata"].as_object().cloned().unwrap_or_default();
    out.insert("report".into(), value["report"].clone());
    serde_json::Value::Object(out)
}

/// Writes a segregation result into the store in one transaction.
pub fn write_segregation(path: &Path, input: &SegregationInput) -> Result<i64> {
    let mut store = Store::open(path)?;
    store.write_segregation(input).with_context(|| format!("cannot write segregation results to {}", path.display()))
}

/// NUTS 2024 names of every built-in region, by code.
fn nuts_names() -> HashMap<String, String> {
    (0..=3)
        .filter_map(|level| urbis_geo::nuts::regions(level).ok())
        .flatten()
        .filter_map(|a| a.name.map(|n| (a.code, n)))
        .collect()
}
