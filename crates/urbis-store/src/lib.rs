//! The embedded store of urbis: one SQLite file (rusqlite, bundled) holding
//! runs and their provenance, the data sets they read, the indicator results
//! with flags and metadata, the geography, and segregation results with the
//! grid counts behind them.
//!
//! - [`schema`]: versioned migrations (`PRAGMA user_version`), applied when
//!   a store is opened for writing;
//! - [`write`]: a run, or a segregation result, is written in one
//!   transaction: an error or an interruption leaves the store as it was;
//! - [`read`]: the queries the dashboard and the API answer from;
//! - [`bundle`]: exchange bundles (docs/bundle.md): a city's published
//!   figures and metadata with checksums, made from a run and imported as a
//!   run with its provenance;
//! - [`catalogue`]: integration initiatives, networks, instruments and data
//!   sources, with full-text search (FTS5);
//! - [`archive`]: a bundle as one tar file, for uploads and `--archive`;
//! - [`facts`]: areas' populations and degrees of urbanisation, kept with
//!   the run that gave them;
//! - [`peers`]: the areas most like an area on standardised structural
//!   characteristics, with the distance and what drives it;
//! - [`tokens`]: the per-city API tokens of a hub, stored as SHA-256 hashes.
//!
//! Values that are missing (suppressed figures, intervals not computed) are
//! stored as SQL NULL and read back as NaN, never as 0.

pub mod archive;
pub mod bundle;
pub mod catalogue;
pub mod facts;
pub mod peers;
pub mod read;
pub mod schema;
pub mod tokens;
pub mod write;

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

pub use read::{
    AreaInfo, DatasetInfo, IndicatorInfo, ObservationFilter, Provenance, Reference, RunInfo, SegregationValue, Summary,
};
pub use write::{GridCounts, RunInput, SegregationInput, SegregationRow};

/// A store problem: the file, what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("store {path}: schema version {found} is newer than this urbis knows ({known}); use a newer urbis")]
    TooNew { path: String, found: i64, known: i64 },
    #[error(
        "store {path}: not an urbis store (no schema version); create it with `urbis indicators CONFIG --store FILE`"
    )]
    NotAStore { path: String },
    #[error("store {path}: {message}")]
    Invalid { path: String, message: String },
    /// A bundle that cannot be read or imported: damaged, tampered with, of
    /// an unknown format version, or in conflict with the store.
    #[error("bundle {path}: {message}")]
    Bundle { path: String, message: String },
    /// A change a hub's city may not make (docs/hub.md): another city's
    /// figures or catalogue entries.
    #[error("not allowed: {message}")]
    NotAllowed { message: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// An open store.
pub struct Store {
    conn: Connection,
    path: String,
}

impl Store {
    /// Opens (creating it if needed) a store for writing and brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let name = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite { path: name.clone(), source })?;
        let mut store = Store { conn, path: name };
        let version = schema::version(&store.conn).map_err(|e| store.error(e))?;
        if version > schema::LATEST {
            return Err(StoreError::TooNew { path: store.path, found: version, known: schema::LATEST });
        }
        store.pragmas()?;
        schema::migrate(&mut store.conn).map_err(|e| store.error(e))?;
        Ok(store)
    }

    /// Opens an existing store read-only (for serving): it must exist and
    /// carry a schema this version knows.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let name = path.display().to_string();
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)
            .map_err(|source| StoreError::Sqlite { path: name.clone(), source })?;
        let store = Store { conn, path: name };
        let version = schema::version(&store.conn).map_err(|e| store.error(e))?;
        if version == 0 {
            return Err(StoreError::NotAStore { path: store.path });
        }
        if version > schema::LATEST {
            return Err(StoreError::TooNew { path: store.path, found: version, known: schema::LATEST });
        }
        store.conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(|e| store.error(e))?;
        Ok(store)
    }

    /// The file the store lives in.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn pragmas(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(|e| self.error(e))?;
        self.conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(|e| self.error(e))
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// Runs SQLite's own consistency check; `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| self.error(e))
    }
}

/// The current time (UTC) as ISO 8601, to the second.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (date, rest) = (civil_date(secs / 86_400), secs % 86_400);
    format!("{date}T{:02}:{:02}:{:02}Z", rest / 3600, rest / 60 % 60, rest % 60)
}

/// The civil date (YYYY-MM-DD) of a day counted from 1970-01-01 (H. Hinnant's algorithm).
pub fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// NaN as SQL NULL.
fn nullable(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}
