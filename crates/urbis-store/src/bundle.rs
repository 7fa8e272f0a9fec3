//! Exchange bundles (docs/bundle.md): a city's published figures and their
//! metadata, with checksums, in a plain folder that other tools can read.
//!
//! - [`Store::export_bundle`] makes the files of a bundle from the current
//!   run of one of the store's own projects. Only published figures carry
//!   values: a figure whose `conf_status` is not `F` (or whose estimate is
//!   missing) keeps its dimensions, flag, status, method and definition, but
//!   loses its estimate, standard error, interval, n and significance.
//! - [`read`] checks a bundle folder (format, version, every file's size and
//!   SHA-256) and reads its table and metadata; anything damaged is refused.
//! - [`Store::import_bundle`] adds a checked bundle as a run of its
//!   publisher, with its provenance, in one transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use urbis_core::IndicatorRow;
use urbis_io::tables;

use crate::read::{AreaInfo, DatasetInfo, IndicatorInfo};
use crate::write::{insert_run, RunInput};
use crate::{Result, Store, StoreError};

/// The `format` of every bundle's manifest.
pub const FORMAT: &str = "urbis-bundle";
/// The format version this urbis writes and reads.
pub const FORMAT_VERSION: u64 = 1;
/// The SDMX dataflow of the bundle's table.
pub const DATAFLOW: &str = "URBIS:MIGR_INTEGR(1.0)";
/// The files of a bundle.
pub const MANIFEST: &str = "manifest.json";
pub const TABLE: &str = "indicators.sdmx.csv";
pub const PARQUET: &str = "indicators.parquet";
pub const METADATA: &str = "metadata.json";

/// `manifest.json`: what the bundle is, who made it from which run, and the
/// size and SHA-256 of every other file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u64,
    pub publisher: Publisher,
    /// When the bundle was made (ISO 8601, UTC).
    pub created_at: String,
    /// The software that made the bundle (`urbis 0.1.0`).
    pub software: String,
    pub source_run: SourceRun,
    /// Rows of the table, and how many of them carry a published value.
    pub figures: u64,
    pub published: u64,
    /// SHA-256 of `indicators.sdmx.csv`: with the publisher and the source
    /// run, the identity of the figures.
    pub table_sha256: String,
    pub files: Vec<FileEntry>,
}

/// Who publishes the figures: the project's name and an optional code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publisher {
    pub name: String,
    #[serde(default)]
    pub code: Option<String>,
}

/// The run the figures come from, in the publisher's store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRun {
    pub id: i64,
    pub created_at: String,
    pub software: String,
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// `metadata.json`: everything needed to read the figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub project: String,
    #[serde(default)]
    pub reporting_country: String,
    /// Confidence level of the intervals (0.95).
    pub confidence_level: Option<f64>,
    pub indicators: Vec<IndicatorInfo>,
    /// Concept definitions by id (the `definition` of each figure).
    pub definitions: BTreeMap<String, String>,
    pub sources: Vec<DatasetInfo>,
    #[serde(default)]
    pub levels: Vec<String>,
    pub areas: Vec<AreaInfo>,
    /// Population and degree of urbanisation of the areas (added to format
    /// version 1 as an optional member: older readers ignore it, bundles
    /// without it have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub area_facts: Vec<urbis_core::AreaFacts>,
    /// The estimation methods of the figures (`direct`, `pooled`, `fh`, `register`).
    pub methods: Vec<String>,
    /// What the observation flags and confidentiality statuses mean.
    pub flags: BTreeMap<String, String>,
    pub conf_status: BTreeMap<String, String>,
    pub publication: Publication,
}

/// The publication rules applied before export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    /// The rule of the bundle: which figures carry values.
    pub rule: String,
    /// The `[publication]` tables of the run's configuration (TOML), empty
    /// when the run used urbis's defaults (docs/publication.md).
    pub config: String,
    /// The publication review's counts (`published`, `flagged`, `primary`, …).
    pub review_counts: BTreeMap<String, u64>,
    /// Confidential values not protected by secondary suppression.
    pub unprotected: u64,
}

const RULE: &str = "Only figures with CONF_STATUS F (free) and a finite estimate carry values. \
Every other figure is listed with its dimensions, flag, status, method and definition, \
and without estimate, standard error, interval, n or significance.";

/// What [`Store::export_bundle`] needs besides the store.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions<'a> {
    /// The project to export; may be left out when the store has one.
    pub project: Option<&'a str>,
    /// A code for the publisher (for example a LAU or NUTS code, or an office's acronym).
    pub publisher_code: Option<&'a str>,
    /// Now (ISO 8601, UTC) and the software making the bundle.
    pub created_at: &'a str,
    pub software: &'a str,
}

/// A bundle's files, rendered in memory: (name, bytes), the manifest last.
#[derive(Debug, Clone)]
pub struct Export {
    pub manifest: Manifest,
    pub files: Vec<(String, Vec<u8>)>,
}

/// A bundle that passed every check of [`read`].
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    pub metadata: Metadata,
    /// `metadata.json` as it is in the bundle (stored as the run's metadata).
    pub metadata_json: String,
    pub rows: Vec<IndicatorRow>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Added as a new run; `replaced` is the publisher's run it supersedes.
    Imported { run_id: i64, replaced: Option<i64> },
    /// The same figures of the same publisher and run were imported before.
    AlreadyImported { run_id: i64 },
}

/// Whether a figure is published: status `F` and a finite estimate.
pub fn is_published(row: &IndicatorRow) -> bool {
    row.conf_status.trim() == "F" && row.estimate.is_finite()
}

/// The figure as it may leave the store: unchanged when published; without
/// estimate, SE, interval, n and significance otherwise.
pub fn publishable(row: &IndicatorRow) -> IndicatorRow {
    let mut out = row.clone();
    if !is_published(row) {
        (out.estimate, out.se, out.ci_low, out.ci_high) = (f64::NAN, f64::NAN, f64::NAN, f64::NAN);
        out.n = None;
        out.significant = None;
    }
    out
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// The files of a bundle of the current run of one of the store's own
    /// projects (imported runs are not exported again).
    pub fn export_bundle(&self, options: &ExportOptions) -> Result<Export> {
        let bad = |message: String| StoreError::Invalid { path: self.path.clone(), message };
        let own: Vec<OwnRun> = self.query(
            "SELECT id, project, created_at, software, metadata, review, config FROM runs
             WHERE origin = 'local' AND id IN (SELECT id FROM current_runs) ORDER BY project",
            vec![],
            |r| {
                Ok(OwnRun {
                    id: r.get(0)?,
                    project: r.get(1)?,
                    created_at: r.get(2)?,
                    software: r.get(3)?,
                    metadata: r.get(4)?,
                    review: r.get(5)?,
                    config: r.get(6)?,
                })
            },
        )?;
        let names: Vec<&str> = own.iter().map(|r| r.project.as_str()).collect();
        let run = match options.project {
            Some(p) => own.iter().find(|r| r.project == p).ok_or_else(|| {
                bad(format!("no project '{p}' of its own to export (there are: {})", list_or_none(&names)))
            })?,
            None => match own.as_slice() {
                [one] => one,
                [] => {
                    return Err(bad("no figures of its own to export (imported bundles are not exported again)".into()))
                }
                _ => return Err(bad(format!("several projects ({}); choose one with --project", names.join(", ")))),
            },
        };
        let OwnRun { id: run_id, project, created_at, software, metadata: metadata_text, review: review_text, config } =
            run;
        let rows: Vec<IndicatorRow> = self.run_observations(*run_id)?.iter().map(publishable).collect();
        let table = tables::sdmx::render(&rows, DATAFLOW).map_err(|e| bad(e.to_string()))?;
        let parquet = tables::parquet::render(&rows).map_err(|e| bad(e.to_string()))?;
        let run_metadata: serde_json::Value = serde_json::from_str(metadata_text).unwrap_or_default();
        let review: serde_json::Value = serde_json::from_str(review_text).unwrap_or_default();
        let geos: BTreeSet<&str> = rows.iter().map(|r| r.geo.as_str()).collect();
        let metadata = Metadata {
            project: project.clone(),
            reporting_country: run_metadata["reporting_country"].as_str().unwrap_or_default().to_string(),
            confidence_level: run_metadata["confidence_level"].as_f64(),
            indicators: self.run_indicators(*run_id)?,
            definitions: serde_json::from_value(run_metadata["definitions"].clone()).unwrap_or_default(),
            sources: self.runs()?.into_iter().find(|r| r.id == *run_id).map(|r| r.datasets).unwrap_or_default(),
            levels: serde_json::from_value(run_metadata["levels"].clone()).unwrap_or_default(),
            areas: self.areas()?.into_iter().filter(|a| geos.contains(a.code.as_str())).collect(),
            area_facts: self.run_area_facts(*run_id)?.into_iter().filter(|f| geos.contains(f.code.as_str())).collect(),
            methods: rows.iter().map(|r| r.method.clone()).collect::<BTreeSet<_>>().into_iter().collect(),
            flags: [
                ("u", "low reliability: published, from few respondents or with a wide interval"),
                ("d", "definition differs from the reference concept definition"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into(),
            conf_status: [
                ("F", "free: published"),
                ("C", "confidential (primary): too few respondents; no value"),
                ("D", "secondary confidentiality: would reveal a confidential value; no value"),
                ("N", "not for publication: not reliable enough; no value"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into(),
            publication: Publication {
                rule: RULE.into(),
                config: config.as_deref().map(publication_tables).unwrap_or_default(),
                review_counts: serde_json::from_value(review["counts"].clone()).unwrap_or_default(),
                unprotected: review["unprotected"].as_u64().unwrap_or(0),
            },
        };
        let metadata = json(&metadata).map_err(|e| bad(e.to_string()))?;
        let files: Vec<(String, Vec<u8>)> =
            vec![(TABLE.into(), table), (PARQUET.into(), parquet), (METADATA.into(), metadata)];
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            publisher: Publisher { name: project.clone(), code: options.publisher_code.map(str::to_string) },
            created_at: options.created_at.into(),
            software: options.software.into(),
            source_run: SourceRun { id: *run_id, created_at: created_at.clone(), software: software.clone() },
            figures: rows.len() as u64,
            published: rows.iter().filter(|r| is_published(r)).count() as u64,
            table_sha256: sha256_hex(&files[0].1),
            files: files
                .iter()
                .map(|(name, bytes)| FileEntry {
                    name: name.clone(),
                    bytes: bytes.len() as u64,
                    sha256: sha256_hex(bytes),
                })
                .collect(),
        };
        let mut files = files;
        files.push((MANIFEST.into(), json(&manifest).map_err(|e| bad(e.to_string()))?));
        Ok(Export { manifest, files })
    }

    /// Every figure of one run, in a stable order.
    pub fn run_observations(&self, run_id: i64) -> Result<Vec<IndicatorRow>> {
        self.query(
            "SELECT indicator, geo, geo_level, time, breakdown, grp, measure, unit, estimate, se, ci_low, ci_high,
                    n, flag, conf_status, method, definition, significant
             FROM observations WHERE run_id = ?1
             ORDER BY indicator, geo_level, geo, time, breakdown, measure, grp",
            vec![rusqlite::types::Value::Integer(run_id)],
            crate::read::observation,
        )
    }

    /// The indicator definitions of one run, in the run's order.
    pub fn run_indicators(&self, run_id: i64) -> Result<Vec<IndicatorInfo>> {
        self.query(
            "SELECT id, label, family, unit, statistic, population, numerator, variable, source_type, reference
             FROM indicators WHERE run_id = ?1 ORDER BY rowid",
            vec![rusqlite::types::Value::Integer(run_id)],
            crate::read::indicator_info,
        )
    }

    /// Adds a checked bundle as a run of its publisher, in one transaction.
    /// The same bundle again changes nothing; a newer one (later source run,
    /// or the same run exported later with other figures) becomes the
    /// publisher's current run and the older stays as history; an older one
    /// is refused. `imported_at` is now (ISO 8601, UTC).
    pub fn import_bundle(&mut self, bundle: &Bundle, imported_at: &str) -> Result<ImportOutcome> {
        self.import_checked(bundle, imported_at, None)
    }

    /// [`Store::import_bundle`] for a city of a hub (docs/hub.md): the
    /// bundle's publisher code must be `city`, and figures already imported
    /// under the bundle's publisher name must be that city's too; otherwise
    /// [`StoreError::NotAllowed`] and nothing changes.
    pub fn import_own_bundle(&mut self, bundle: &Bundle, imported_at: &str, city: &str) -> Result<ImportOutcome> {
        self.import_checked(bundle, imported_at, Some(city))
    }

    fn import_checked(&mut self, bundle: &Bundle, imported_at: &str, city: Option<&str>) -> Result<ImportOutcome> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|source| StoreError::Sqlite { path: path.clone(), source })?;
        let outcome =
            owned_by(&tx, bundle, city).and_then(|()| import(&tx, bundle, imported_at)).map_err(|e| match e {
                Refusal::Sqlite(source) => StoreError::Sqlite { path: path.clone(), source },
                Refusal::Conflict(message) => StoreError::Bundle { path: path.clone(), message },
                Refusal::NotAllowed(message) => StoreError::NotAllowed { message },
            })?;
        tx.commit().map_err(|source| StoreError::Sqlite { path, source })?;
        Ok(outcome)
    }

    /// Removes every run imported from bundles of the publisher with this
    /// code (its current figures and their history), in one transaction;
    /// returns how many runs were removed. Areas stay.
    pub fn delete_publisher(&mut self, code: &str) -> Result<usize> {
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(sqlite)?;
        let removed =
            tx.execute("DELETE FROM runs WHERE origin = 'imported' AND publisher_code = ?1", [code]).map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(removed)
    }
}

/// A current run of one of the store's own projects.
struct OwnRun {
    id: i64,
    project: String,
    created_at: String,
    software: String,
    metadata: String,
    review: String,
    config: Option<String>,
}

enum Refusal {
    Sqlite(rusqlite::Error),
    Conflict(String),
    NotAllowed(String),
}

/// With a city: the bundle is that city's, and so are the figures imported
/// before under the same publisher name.
fn owned_by(tx: &Transaction, bundle: &Bundle, city: Option<&str>) -> std::result::Result<(), Refusal> {
    let Some(city) = city else { return Ok(()) };
    let publisher = &bundle.manifest.publisher;
    match publisher.code.as_deref() {
        Some(code) if code == city => {}
        Some(code) => {
            return Err(Refusal::NotAllowed(format!(
                "the bundle is published by '{code}'; the token is of '{city}', which can only send its own figures"
            )))
        }
        None => {
            return Err(Refusal::NotAllowed(format!(
                "the bundle has no publisher code; export it with `urbis export --publisher {city}`"
            )))
        }
    }
    let others: Vec<String> = tx
        .prepare(
            "SELECT DISTINCT coalesce(publisher_code, '') FROM runs WHERE origin = 'imported' AND project = ?1
             AND coalesce(publisher_code, '') <> ?2",
        )?
        .query_map(params![publisher.name, city], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if !others.is_empty() {
        return Err(Refusal::NotAllowed(format!(
            "figures published as '{}' are held here for another publisher; choose another project name",
            publisher.name
        )));
    }
    Ok(())
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Self {
        Refusal::Sqlite(e)
    }
}

fn import(tx: &Transaction, bundle: &Bundle, imported_at: &str) -> std::result::Result<ImportOutcome, Refusal> {
    let m = &bundle.manifest;
    let publisher = &m.publisher.name;
    let local: i64 =
        tx.query_row("SELECT count(*) FROM runs WHERE project = ?1 AND origin = 'local'", [publisher], |r| r.get(0))?;
    if local > 0 {
        return Err(Refusal::Conflict(format!(
            "the store has a project of its own named '{publisher}'; a bundle published under the same name cannot be imported into it"
        )));
    }
    let same: Option<i64> = tx
        .query_row(
            "SELECT id FROM runs WHERE origin = 'imported' AND project = ?1 AND source_run_id = ?2 AND table_sha256 = ?3",
            params![publisher, m.source_run.id, m.table_sha256],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(run_id) = same {
        return Ok(ImportOutcome::AlreadyImported { run_id });
    }
    let current: Option<(i64, String, String)> = tx
        .query_row(
            "SELECT id, source_created_at, bundle_created_at FROM runs
             WHERE origin = 'imported' AND project = ?1 AND id IN (SELECT id FROM current_runs)",
            [publisher],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((id, source, made)) = &current {
        if (m.source_run.created_at.as_str(), m.created_at.as_str()) <= (source.as_str(), made.as_str()) {
            return Err(Refusal::Conflict(format!(
                "these figures of '{publisher}' (run of {}, bundle of {}) are not newer than the ones imported before \
                 (run {id}: run of {source}, bundle of {made}); nothing changed",
                m.source_run.created_at, m.created_at
            )));
        }
    }
    let review = serde_json::json!({
        "counts": bundle.metadata.publication.review_counts,
        "unprotected": bundle.metadata.publication.unprotected,
    });
    let run = RunInput {
        project: publisher,
        software: &m.source_run.software,
        created_at: &m.source_run.created_at,
        config: None,
        metadata_json: &bundle.metadata_json,
        review_json: &review.to_string(),
        indicators: &bundle.metadata.indicators,
        datasets: &bundle.metadata.sources,
        areas: &bundle.metadata.areas,
        rows: &bundle.rows,
        facts: &bundle.metadata.area_facts,
    };
    let run_id = insert_run(tx, &run)?;
    tx.execute(
        "UPDATE runs SET origin = 'imported', publisher_code = ?2, source_run_id = ?3, source_created_at = ?4,
                bundle_created_at = ?5, table_sha256 = ?6, imported_at = ?7 WHERE id = ?1",
        params![
            run_id,
            m.publisher.code,
            m.source_run.id,
            m.source_run.created_at,
            m.created_at,
            m.table_sha256,
            imported_at
        ],
    )?;
    Ok(ImportOutcome::Imported { run_id, replaced: current.map(|c| c.0) })
}

/// Reads and checks the bundle in `dir`: its manifest's format and version,
/// every listed file's presence, size and SHA-256, the table's checksum, and
/// that no unpublished figure carries a value. Errors say what is wrong.
/// A path that is a file is read as a bundle archive ([`read_archive`]).
pub fn read(dir: &Path) -> Result<Bundle> {
    let name = dir.display().to_string();
    let refuse = |message: String| StoreError::Bundle { path: name.clone(), message };
    if dir.is_file() {
        let bytes = std::fs::read(dir).map_err(|e| refuse(format!("cannot read the archive ({e})")))?;
        return read_archive(&name, &bytes);
    }
    if !dir.is_dir() {
        return Err(refuse("no such folder or archive".into()));
    }
    check(&name, |file| std::fs::read(dir.join(file)).map_err(|e| e.to_string()))
}

/// Reads and checks a bundle sent as one tar archive ([`crate::archive`]):
/// the same checks as a folder's, on the archive's files. `name` names the
/// bundle in errors.
pub fn read_archive(name: &str, bytes: &[u8]) -> Result<Bundle> {
    let files =
        crate::archive::read(bytes).map_err(|message| StoreError::Bundle { path: name.to_string(), message })?.files;
    check(name, |file| files.get(file).cloned().ok_or_else(|| "not in the archive".to_string()))
}

/// The checks of a bundle whose files `fetch` gives by name.
fn check(name: &str, fetch: impl Fn(&str) -> std::result::Result<Vec<u8>, String>) -> Result<Bundle> {
    let refuse = |message: String| StoreError::Bundle { path: name.to_string(), message };
    let manifest_bytes =
        fetch(MANIFEST).map_err(|e| refuse(format!("cannot read {MANIFEST} ({e}): not an urbis bundle")))?;
    let value: serde_json::Value =
        serde_json::from_slice(&manifest_bytes).map_err(|e| refuse(format!("{MANIFEST} is not valid JSON: {e}")))?;
    if value["format"] != FORMAT {
        return Err(refuse(format!(
            "{MANIFEST} has format {}, not \"{FORMAT}\": not an urbis bundle",
            value["format"]
        )));
    }
    match value["format_version"].as_u64() {
        Some(FORMAT_VERSION) => {}
        Some(v) => {
            return Err(refuse(format!(
                "format version {v} is unknown to this urbis, which reads version {FORMAT_VERSION}; use a newer urbis"
            )))
        }
        None => return Err(refuse(format!("{MANIFEST} has no format_version"))),
    }
    let manifest: Manifest = serde_json::from_value(value).map_err(|e| refuse(format!("{MANIFEST}: {e}")))?;
    let mut contents: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    for f in &manifest.files {
        let plain = !f.name.is_empty()
            && f.name != MANIFEST
            && !f.name.starts_with('.')
            && f.name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !plain {
            return Err(refuse(format!("{MANIFEST} lists a file named '{}', which a bundle cannot hold", f.name)));
        }
        if contents.contains_key(f.name.as_str()) {
            return Err(refuse(format!("{MANIFEST} lists '{}' twice", f.name)));
        }
        let bytes = fetch(&f.name)
            .map_err(|e| refuse(format!("{} is listed in {MANIFEST} but cannot be read ({e})", f.name)))?;
        if bytes.len() as u64 != f.bytes {
            return Err(refuse(format!(
                "{} has {} bytes where {MANIFEST} says {}: the file was changed or cut short after export",
                f.name,
                bytes.len(),
                f.bytes
            )));
        }
        let sum = sha256_hex(&bytes);
        if !sum.eq_ignore_ascii_case(&f.sha256) {
            return Err(refuse(format!(
                "checksum mismatch for {}: {MANIFEST} says SHA-256 {}, the file has {sum}: the file was changed after export",
                f.name, f.sha256
            )));
        }
        contents.insert(&f.name, bytes);
    }
    for needed in [TABLE, PARQUET, METADATA] {
        if !contents.contains_key(needed) {
            return Err(refuse(format!("{MANIFEST} does not list {needed}, which every bundle holds")));
        }
    }
    let table = &contents[TABLE];
    if !sha256_hex(table).eq_ignore_ascii_case(&manifest.table_sha256) {
        return Err(refuse(format!("table_sha256 of {MANIFEST} is not the SHA-256 of {TABLE}")));
    }
    let metadata_json =
        String::from_utf8(contents[METADATA].clone()).map_err(|_| refuse(format!("{METADATA} is not valid UTF-8")))?;
    let metadata: Metadata = serde_json::from_str(&metadata_json).map_err(|e| refuse(format!("{METADATA}: {e}")))?;
    if let Some(problem) = metadata.area_facts.iter().find_map(|f| f.problem()) {
        return Err(refuse(format!("{METADATA}, area_facts: {problem}")));
    }
    let rows = tables::sdmx::parse_named(table, &format!("{name}/{TABLE}")).map_err(|e| refuse(e.to_string()))?;
    if rows.len() as u64 != manifest.figures {
        return Err(refuse(format!("{TABLE} has {} figures where {MANIFEST} says {}", rows.len(), manifest.figures)));
    }
    for (k, r) in rows.iter().enumerate() {
        let carries = [r.estimate, r.se, r.ci_low, r.ci_high].iter().any(|x| x.is_finite()) || r.n.is_some();
        if !is_published(r) && carries {
            return Err(refuse(format!(
                "{TABLE}, row {}: a figure with CONF_STATUS '{}' carries a value or n; bundles hold values of published figures only",
                k + 1,
                r.conf_status
            )));
        }
    }
    if metadata.project != manifest.publisher.name {
        return Err(refuse(format!(
            "{METADATA} is of project '{}' but {MANIFEST} names the publisher '{}'",
            metadata.project, manifest.publisher.name
        )));
    }
    Ok(Bundle { manifest, metadata, metadata_json, rows })
}

/// The `[publication…]` tables of a configuration's text.
fn publication_tables(config: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in config.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            let header = trimmed.trim_start_matches('[').trim_start();
            inside = header.starts_with("publication");
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

fn json(value: &impl Serialize) -> serde_json::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publication_tables_are_cut_from_the_configuration() {
        let config = "[project]\nname = \"x\"\n[publication]\nmin_respondents = 20\n[publication.reliability]\nmax_cv = 0.3\n[output]\nformats = []\n";
        assert_eq!(
            publication_tables(config),
            "[publication]\nmin_respondents = 20\n[publication.reliability]\nmax_cv = 0.3\n"
        );
        assert_eq!(publication_tables("[project]\n"), "");
    }

    #[test]
    fn sha256_of_a_known_text() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
