//! Versioned migrations. The schema version lives in `PRAGMA user_version`;
//! each migration runs in the transaction that also bumps the version, so a
//! store is always at one version or the next, never in between.

use rusqlite::{Connection, Result};

/// Migrations in order: migration `k` (0-based) takes the store from
/// version `k` to `k + 1`. Never edit a released one; add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: runs, data sets, indicators, areas, observations, segregation, grid counts.
    r#"
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        project     TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        software    TEXT NOT NULL,
        config      TEXT,
        metadata    TEXT NOT NULL,
        review      TEXT NOT NULL
    );
    CREATE TABLE datasets (
        run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name    TEXT NOT NULL,
        file    TEXT NOT NULL,
        rows    INTEGER NOT NULL,
        years   TEXT NOT NULL,
        design  TEXT NOT NULL,
        PRIMARY KEY (run_id, name)
    );
    CREATE TABLE indicators (
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        id          TEXT NOT NULL,
        label       TEXT NOT NULL,
        family      TEXT NOT NULL,
        unit        TEXT NOT NULL,
        statistic   TEXT NOT NULL,
        population  TEXT NOT NULL,
        numerator   TEXT NOT NULL,
        variable    TEXT NOT NULL,
        source_type TEXT NOT NULL,
        reference   TEXT NOT NULL,
        PRIMARY KEY (run_id, id)
    );
    CREATE TABLE areas (
        code    TEXT PRIMARY KEY,
        name    TEXT,
        level   TEXT NOT NULL,
        parent  TEXT
    );
    CREATE TABLE observations (
        run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        indicator   TEXT NOT NULL,
        geo         TEXT NOT NULL,
        geo_level   TEXT NOT NULL,
        time        TEXT NOT NULL,
        breakdown   TEXT NOT NULL,
        grp         TEXT NOT NULL,
        measure     TEXT NOT NULL,
        unit        TEXT NOT NULL,
        estimate    REAL,
        se          REAL,
        ci_low      REAL,
        ci_high     REAL,
        n           INTEGER,
        flag        TEXT NOT NULL,
        conf_status TEXT NOT NULL,
        method      TEXT NOT NULL,
        definition  TEXT NOT NULL,
        significant INTEGER
    );
    CREATE INDEX observations_by_indicator ON observations (indicator, geo_level, geo);
    CREATE INDEX observations_by_geo ON observations (geo, indicator);
    CREATE INDEX observations_by_run ON observations (run_id);
    CREATE TABLE segregation_runs (
        id          INTEGER PRIMARY KEY,
        dataset     TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        software    TEXT NOT NULL,
        source      TEXT NOT NULL,
        groups      TEXT NOT NULL,
        total       TEXT NOT NULL
    );
    CREATE TABLE segregation (
        run_id      INTEGER NOT NULL REFERENCES segregation_runs(id) ON DELETE CASCADE,
        scale       TEXT NOT NULL,
        idx         TEXT NOT NULL,
        grp         TEXT NOT NULL,
        value       REAL,
        se          REAL,
        ci_low      REAL,
        ci_high     REAL,
        units       INTEGER NOT NULL
    );
    CREATE INDEX segregation_by_run ON segregation (run_id);
    CREATE TABLE grid_counts (
        run_id  INTEGER NOT NULL REFERENCES segregation_runs(id) ON DELETE CASCADE,
        cell    TEXT NOT NULL,
        grp     TEXT NOT NULL,
        count   REAL NOT NULL,
        total   REAL NOT NULL
    );
    CREATE INDEX grid_counts_by_run ON grid_counts (run_id, grp);
    -- What is shown: the latest run of each project, the latest segregation run of each data set.
    CREATE VIEW current_runs AS SELECT max(id) AS id FROM runs GROUP BY project;
    CREATE VIEW current_segregation_runs AS SELECT max(id) AS id FROM segregation_runs GROUP BY dataset;
    "#,
    // 2: provenance of runs imported from exchange bundles (docs/bundle.md).
    // An imported run's `project` is its publisher's name, so the latest
    // bundle of a publisher is its current run, as for local projects.
    r#"
    ALTER TABLE runs ADD COLUMN origin TEXT NOT NULL DEFAULT 'local';
    ALTER TABLE runs ADD COLUMN publisher_code TEXT;
    ALTER TABLE runs ADD COLUMN source_run_id INTEGER;
    ALTER TABLE runs ADD COLUMN source_created_at TEXT;
    ALTER TABLE runs ADD COLUMN bundle_created_at TEXT;
    ALTER TABLE runs ADD COLUMN table_sha256 TEXT;
    ALTER TABLE runs ADD COLUMN imported_at TEXT;
    CREATE UNIQUE INDEX runs_by_bundle ON runs (project, source_run_id, table_sha256) WHERE origin = 'imported';
    "#,
    // 3: the catalogue of initiatives, networks, instruments and data
    // sources (docs/catalogue.md), with its full-text index. Lists are
    // stored joined by ';'.
    r#"
    CREATE TABLE initiatives (
        id           TEXT NOT NULL UNIQUE,
        kind         TEXT NOT NULL,
        title        TEXT NOT NULL,
        place        TEXT NOT NULL,
        topics       TEXT NOT NULL,
        target_group TEXT NOT NULL,
        period       TEXT NOT NULL,
        description  TEXT NOT NULL,
        links        TEXT NOT NULL,
        indicators   TEXT NOT NULL,
        organisation TEXT NOT NULL
    );
    CREATE INDEX initiatives_by_place ON initiatives (place);
    CREATE VIRTUAL TABLE initiatives_fts USING fts5(
        title, description, target_group, organisation, topics, tokenize = 'unicode61 remove_diacritics 2'
    );
    "#,
    // 4: the API tokens of a hub's cities (docs/hub.md). Only the SHA-256
    // of a token is kept; a revoked token stays listed with its time.
    r#"
    CREATE TABLE tokens (
        id          INTEGER PRIMARY KEY,
        city        TEXT NOT NULL,
        sha256      TEXT NOT NULL UNIQUE,
        label       TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL,
        revoked_at  TEXT
    );
    "#,
    // 5: facts of the areas that are not survey figures (population,
    // degree of urbanisation), kept with the run whose hierarchy gave them,
    // as imported bundles keep theirs (docs/dashboard.md, peers).
    r#"
    CREATE TABLE area_facts (
        run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        code            TEXT NOT NULL,
        level           TEXT NOT NULL,
        population      REAL,
        population_date TEXT,
        degurba         TEXT,
        city_share      REAL,
        PRIMARY KEY (run_id, level, code)
    );
    "#,
];

/// The schema version this build writes and reads.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// The store's schema version (0 for a new, empty file).
pub fn version(conn: &Connection) -> Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Applies the migrations the store has not seen yet, each in its own
/// transaction together with the version bump.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let current = version(conn)?;
    for (k, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (k + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
