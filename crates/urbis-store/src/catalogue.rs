//! The catalogue of integration initiatives and practices, city networks,
//! policy instruments and data sources (docs/catalogue.md): read from and
//! written to CSV or JSON, stored with a full-text index (SQLite FTS5), and
//! searched by words with filters by place, topic and related indicator.

use std::collections::BTreeSet;

use rusqlite::types::Value;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::{Result, Store, StoreError};

/// The kinds of entries.
pub const KINDS: [&str; 5] = ["initiative", "practice", "network", "instrument", "data_source"];

/// The columns of the catalogue's CSV form, in order. Lists (topics, links,
/// indicators) are written in one cell, separated by `;`.
pub const COLUMNS: [&str; 11] = [
    "id",
    "kind",
    "title",
    "place",
    "topics",
    "target_group",
    "period",
    "description",
    "links",
    "indicators",
    "organisation",
];

/// One entry of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Initiative {
    /// A stable identifier: lowercase letters, digits and `-` (`start-wien`).
    pub id: String,
    /// One of [`KINDS`].
    pub kind: String,
    pub title: String,
    /// The area it belongs to: an area code (`AT130`, `AT`), or `EU` for Europe-wide.
    pub place: String,
    /// Topics (`employment`, `education`, `housing`, `health`, `participation`, …).
    pub topics: Vec<String>,
    /// Who it is for (`newly arrived migrants`, `cities`, …).
    #[serde(default)]
    pub target_group: String,
    /// When it runs (`2008–`, `2016–2019`).
    #[serde(default)]
    pub period: String,
    pub description: String,
    /// Public pages (http or https).
    pub links: Vec<String>,
    /// Ids of related indicators (`emp_rate`).
    #[serde(default)]
    pub indicators: Vec<String>,
    /// Who runs it.
    #[serde(default)]
    pub organisation: String,
}

/// A search of the catalogue; empty fields mean "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Search {
    /// Words to find in title, description, target group, organisation and topics (every word must occur; prefixes match).
    pub text: Option<String>,
    /// Entries of these places.
    pub places: Vec<String>,
    pub topic: Option<String>,
    /// Entries related to this indicator.
    pub indicator: Option<String>,
}

/// A catalogue file problem: the file, the row (CSV) or entry (JSON),
/// the column and the reason.
fn invalid(file: &str, at: &str, reason: String) -> StoreError {
    StoreError::Invalid { path: file.to_string(), message: format!("{at}: {reason}") }
}

/// Checks an entry; `at` says where it is in its file (`row 3`, `entry 2`).
pub fn check(entry: &Initiative, file: &str, at: &str) -> Result<()> {
    let field = |column: &str, reason: String| invalid(file, &format!("{at}, column '{column}'"), reason);
    if entry.id.is_empty() || !entry.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err(field("id", format!("'{}' is not an id (lowercase letters, digits and -)", entry.id)));
    }
    if !KINDS.contains(&entry.kind.as_str()) {
        return Err(field("kind", format!("'{}' is not one of {}", entry.kind, KINDS.join(", "))));
    }
    for (column, value) in [("title", &entry.title), ("place", &entry.place), ("description", &entry.description)] {
        if value.trim().is_empty() {
            return Err(field(column, "is empty".into()));
        }
    }
    if entry.topics.is_empty() {
        return Err(field("topics", "names no topic".into()));
    }
    for t in &entry.topics {
        if t.is_empty() || !t.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(field("topics", format!("'{t}' is not a topic (lowercase letters and _)")));
        }
    }
    for link in &entry.links {
        let ok = (link.starts_with("https://") || link.starts_with("http://")) && !link.contains(char::is_whitespace);
        if !ok {
            return Err(field("links", format!("'{link}' is not an http or https address")));
        }
    }
    Ok(())
}

fn list(cell: &str) -> Vec<String> {
    cell.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Reads the catalogue's CSV form ([`COLUMNS`] by name, in any order;
/// `target_group`, `period`, `indicators` and `organisation` may be left
/// out). Errors name the file, the row (data rows count from 1), the column
/// and the reason.
pub fn parse_csv(bytes: &[u8], file: &str) -> Result<Vec<Initiative>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header = reader.headers().map_err(|e| invalid(file, "header", e.to_string()))?.clone();
    let position = |name: &str| header.iter().position(|h| h.trim() == name);
    let required = ["id", "kind", "title", "place", "topics", "description", "links"];
    for name in required {
        if position(name).is_none() {
            return Err(invalid(
                file,
                "header",
                format!("column '{name}' not found (there are: {})", header.iter().collect::<Vec<_>>().join(", ")),
            ));
        }
    }
    let mut out = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let at = format!("row {}", k + 1);
        let record = record.map_err(|e| invalid(file, &at, e.to_string()))?;
        let cell = |name: &str| position(name).and_then(|i| record.get(i)).unwrap_or_default().trim().to_string();
        let entry = Initiative {
            id: cell("id"),
            kind: cell("kind"),
            title: cell("title"),
            place: cell("place"),
            topics: list(&cell("topics")),
            target_group: cell("target_group"),
            period: cell("period"),
            description: cell("description"),
            links: list(&cell("links")),
            indicators: list(&cell("indicators")),
            organisation: cell("organisation"),
        };
        check(&entry, file, &at)?;
        out.push(entry);
    }
    unique(&out, file)?;
    Ok(out)
}

/// Reads the catalogue's JSON form: an array of entries as [`Initiative`]
/// serialises them. Errors name the file, the entry (from 1) and the reason.
pub fn parse_json(bytes: &[u8], file: &str) -> Result<Vec<Initiative>> {
    let values: Vec<serde_json::Value> = serde_json::from_slice(bytes)
        .map_err(|e| invalid(file, "JSON", format!("{e} (the catalogue is an array of entries)")))?;
    let mut out = Vec::new();
    for (k, v) in values.into_iter().enumerate() {
        let at = format!("entry {}", k + 1);
        let entry: Initiative = serde_json::from_value(v).map_err(|e| invalid(file, &at, e.to_string()))?;
        check(&entry, file, &at)?;
        out.push(entry);
    }
    unique(&out, file)?;
    Ok(out)
}

fn unique(entries: &[Initiative], file: &str) -> Result<()> {
    let mut seen = BTreeSet::new();
    for (k, e) in entries.iter().enumerate() {
        if !seen.insert(e.id.as_str()) {
            return Err(invalid(file, &format!("entry {}", k + 1), format!("id '{}' appears twice", e.id)));
        }
    }
    Ok(())
}

/// The catalogue as CSV ([`COLUMNS`]; lists joined by `;`).
pub fn render_csv(entries: &[Initiative]) -> Result<Vec<u8>> {
    let failed = |e: csv::Error| invalid("catalogue", "CSV", e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(failed)?;
    for e in entries {
        w.write_record([
            e.id.as_str(),
            &e.kind,
            &e.title,
            &e.place,
            &e.topics.join(";"),
            &e.target_group,
            &e.period,
            &e.description,
            &e.links.join(";"),
            &e.indicators.join(";"),
            &e.organisation,
        ])
        .map_err(failed)?;
    }
    w.into_inner().map_err(|e| invalid("catalogue", "CSV", e.to_string()))
}

/// The catalogue as pretty-printed JSON (an array of entries).
pub fn render_json(entries: &[Initiative]) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(entries).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The words of a search as an FTS5 query: each word quoted and matched as
/// a prefix, all required. Characters other than letters and digits only
/// separate words, so no input is an FTS5 syntax error.
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

const SELECT: &str = "SELECT i.id, i.kind, i.title, i.place, i.topics, i.target_group, i.period, i.description,
    i.links, i.indicators, i.organisation FROM initiatives i";

fn entry(r: &rusqlite::Row) -> rusqlite::Result<Initiative> {
    let text = |k: usize| -> rusqlite::Result<String> { r.get(k) };
    Ok(Initiative {
        id: text(0)?,
        kind: text(1)?,
        title: text(2)?,
        place: text(3)?,
        topics: list(&text(4)?),
        target_group: text(5)?,
        period: text(6)?,
        description: text(7)?,
        links: list(&text(8)?),
        indicators: list(&text(9)?),
        organisation: text(10)?,
    })
}

impl Store {
    /// Adds the entries to the catalogue in one transaction; an entry with
    /// the id of one already there replaces it. Returns (added, replaced).
    pub fn import_catalogue(&mut self, entries: &[Initiative]) -> Result<(usize, usize)> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|source| StoreError::Sqlite { path: path.clone(), source })?;
        let counts = upsert(&tx, entries).map_err(|source| StoreError::Sqlite { path: path.clone(), source })?;
        tx.commit().map_err(|source| StoreError::Sqlite { path, source })?;
        Ok(counts)
    }

    /// The entries that match, best match first for a text search, by title otherwise.
    pub fn initiatives(&self, search: &Search) -> Result<Vec<Initiative>> {
        let mut sql = String::from(SELECT);
        let mut args: Vec<Value> = Vec::new();
        let mut conditions: Vec<String> = Vec::new();
        let query = search.text.as_deref().and_then(fts_query);
        if let Some(q) = &query {
            sql.push_str(" JOIN initiatives_fts f ON f.rowid = i.rowid");
            args.push(Value::Text(q.clone()));
            conditions.push(format!("initiatives_fts MATCH ?{}", args.len()));
        }
        if !search.places.is_empty() {
            let mut marks = Vec::new();
            for p in &search.places {
                args.push(Value::Text(p.clone()));
                marks.push(format!("?{}", args.len()));
            }
            conditions.push(format!("i.place IN ({})", marks.join(", ")));
        }
        for (column, value) in [("topics", &search.topic), ("indicators", &search.indicator)] {
            if let Some(v) = value {
                args.push(Value::Text(v.clone()));
                conditions.push(format!("(';' || i.{column} || ';') LIKE ('%;' || ?{} || ';%')", args.len()));
            }
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(if query.is_some() { " ORDER BY bm25(initiatives_fts), i.title" } else { " ORDER BY i.title" });
        self.query(&sql, args, entry)
    }

    /// One entry by id.
    pub fn initiative(&self, id: &str) -> Result<Option<Initiative>> {
        Ok(self
            .query(&format!("{SELECT} WHERE i.id = ?1"), vec![Value::Text(id.to_string())], entry)?
            .into_iter()
            .next())
    }

    /// The topics and places in the catalogue, for the filters.
    pub fn catalogue_facets(&self) -> Result<(Vec<String>, Vec<String>)> {
        let topics: Vec<String> = self.query("SELECT topics FROM initiatives", vec![], |r| r.get(0))?;
        let topics: BTreeSet<String> = topics.iter().flat_map(|t| list(t)).collect();
        let places: Vec<String> =
            self.query("SELECT DISTINCT place FROM initiatives ORDER BY place", vec![], |r| r.get(0))?;
        Ok((topics.into_iter().collect(), places))
    }
}

/// One change of the catalogue by a hub's city (docs/hub.md).
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// A new entry; refused when its id is taken.
    Create(&'a Initiative),
    /// An entry replacing the one with its id, or added when there is none.
    Replace(&'a Initiative),
    /// The entry with this id removed.
    Delete(&'a str),
}

/// What a [`Change`] did, or why it did nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    Created,
    Replaced,
    Deleted,
    /// [`Change::Create`] of an id that is taken.
    Exists,
    /// [`Change::Delete`] of an id that is not there.
    NotFound,
}

impl Store {
    /// Makes a change of the catalogue for `city`, in one transaction: a
    /// city changes only entries whose place is the city or an area inside
    /// it (by the areas' parents), before and after the change; otherwise
    /// [`StoreError::NotAllowed`] and nothing changes. Entries are checked
    /// as [`check`] does.
    pub fn change_catalogue_as(&mut self, change: Change, city: &str) -> Result<Changed> {
        if let Change::Create(e) | Change::Replace(e) = change {
            check(e, "request", "entry")?;
        }
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(sqlite)?;
        let id = match change {
            Change::Create(e) | Change::Replace(e) => e.id.as_str(),
            Change::Delete(id) => id,
        };
        let old: Option<String> = tx
            .query_row("SELECT place FROM initiatives WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(sqlite)?;
        let mine = |place: &str| crate::read::area_within(&tx, place, city).map_err(sqlite);
        let refuse = |place: &str| {
            Err(StoreError::NotAllowed {
                message: format!(
                    "the entry '{id}' is of '{place}', which is not '{city}' or an area inside it; a city edits only its own entries"
                ),
            })
        };
        if let Some(place) = &old {
            if !mine(place)? {
                return refuse(place);
            }
        }
        let outcome = match change {
            Change::Create(_) if old.is_some() => return Ok(Changed::Exists),
            Change::Delete(_) if old.is_none() => return Ok(Changed::NotFound),
            Change::Create(e) | Change::Replace(e) => {
                if !mine(&e.place)? {
                    return refuse(&e.place);
                }
                upsert(&tx, std::slice::from_ref(e)).map_err(sqlite)?;
                if old.is_some() {
                    Changed::Replaced
                } else {
                    Changed::Created
                }
            }
            Change::Delete(id) => {
                tx.execute(
                    "DELETE FROM initiatives_fts WHERE rowid = (SELECT rowid FROM initiatives WHERE id = ?1)",
                    [id],
                )
                .map_err(sqlite)?;
                tx.execute("DELETE FROM initiatives WHERE id = ?1", [id]).map_err(sqlite)?;
                Changed::Deleted
            }
        };
        tx.commit().map_err(sqlite)?;
        Ok(outcome)
    }
}

fn upsert(tx: &Transaction, entries: &[Initiative]) -> rusqlite::Result<(usize, usize)> {
    let (mut added, mut replaced) = (0, 0);
    for e in entries {
        let old: Option<i64> = tx.query_row("SELECT rowid FROM initiatives WHERE id = ?1", [&e.id], |r| r.get(0)).ok();
        if let Some(rowid) = old {
            tx.execute("DELETE FROM initiatives_fts WHERE rowid = ?1", [rowid])?;
            tx.execute("DELETE FROM initiatives WHERE rowid = ?1", [rowid])?;
            replaced += 1;
        } else {
            added += 1;
        }
        tx.execute(
            "INSERT INTO initiatives (id, kind, title, place, topics, target_group, period, description, links, indicators, organisation)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                e.id,
                e.kind,
                e.title,
                e.place,
                e.topics.join(";"),
                e.target_group,
                e.period,
                e.description,
                e.links.join(";"),
                e.indicators.join(";"),
                e.organisation
            ],
        )?;
        let rowid = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO initiatives_fts (rowid, title, description, target_group, organisation, topics)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                rowid,
                e.title,
                e.description,
                e.target_group,
                e.organisation,
                e.topics.join(" ").replace('_', " ")
            ],
        )?;
    }
    Ok((added, replaced))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_become_a_safe_fts_query() {
        assert_eq!(fts_query("Start Wien").as_deref(), Some("\"start\"* \"wien\"*"));
        assert_eq!(fts_query("\"OR\" NEAR( * -").as_deref(), Some("\"or\"* \"near\"*"));
        assert_eq!(fts_query("  ()* "), None);
    }

    #[test]
    fn csv_errors_name_row_column_and_reason() {
        let head = "id,kind,title,place,topics,description,links\n";
        let bad = format!("{head}ok,initiative,T,AT,employment,D,https://x.eu\nBad Id,initiative,T,AT,employment,D,\n");
        let e = parse_csv(bad.as_bytes(), "c.csv").unwrap_err().to_string();
        assert!(e.contains("c.csv") && e.contains("row 2, column 'id'"), "{e}");
        let bad = format!("{head}a,plan,T,AT,employment,D,\n");
        assert!(parse_csv(bad.as_bytes(), "c.csv").unwrap_err().to_string().contains("column 'kind'"));
        let bad = format!("{head}a,initiative,T,AT,employment,D,ftp://x\n");
        assert!(parse_csv(bad.as_bytes(), "c.csv").unwrap_err().to_string().contains("not an http"));
        let bad = format!("{head}a,initiative,T,AT,employment,D,\na,network,U,AT,housing,E,\n");
        assert!(parse_csv(bad.as_bytes(), "c.csv").unwrap_err().to_string().contains("appears twice"));
        let e = parse_csv(b"id,title\n", "c.csv").unwrap_err().to_string();
        assert!(e.contains("column 'kind' not found"), "{e}");
        let e = parse_json(b"[{\"id\": \"a\"}]", "c.json").unwrap_err().to_string();
        assert!(e.contains("entry 1") && e.contains("missing field"), "{e}");
    }

    #[test]
    fn csv_and_json_forms_round_trip() {
        let e = Initiative {
            id: "start-wien".into(),
            kind: "initiative".into(),
            title: "StartWien, \"welcome\"".into(),
            place: "AT130".into(),
            topics: vec!["language".into(), "employment".into()],
            target_group: "newly arrived migrants".into(),
            period: "2008–".into(),
            description: "Start coaching; information modules".into(),
            links: vec!["https://a.eu/x".into(), "https://b.eu".into()],
            indicators: vec!["emp_rate".into()],
            organisation: "City of Vienna".into(),
        };
        let csv = render_csv(std::slice::from_ref(&e)).unwrap();
        assert_eq!(parse_csv(&csv, "c.csv").unwrap(), vec![e.clone()]);
        assert_eq!(parse_json(&render_json(std::slice::from_ref(&e)), "c.json").unwrap(), vec![e]);
    }
}
