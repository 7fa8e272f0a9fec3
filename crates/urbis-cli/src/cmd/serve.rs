//! `urbis serve`: the dashboard and API over a store — the user's own
//! (`--db FILE`) or the demo (`--demo`), built on first start from the data
//! shipped with urbis: the Austrian EU-SILC example, the synthetic LFS-like
//! cities and the Munich census grid.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::cmd::indicators::load_and_run;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  urbis serve --demo\n  urbis indicators urbis.toml --store city.sqlite && urbis serve --db city.sqlite --addr 127.0.0.1:9000\n  urbis token create --city AT130 --db hub.sqlite && urbis serve --hub --db hub.sqlite"
)]
pub struct Args {
    /// The store to serve (made by `urbis indicators CONFIG --store FILE`); with --demo, where to build the demo.
    #[arg(long, value_name = "FILE", required_unless_present = "demo")]
    pub db: Option<PathBuf>,
    /// Serve the demo store, built from the data shipped with urbis on first start.
    #[arg(long)]
    pub demo: bool,
    /// Rebuild the demo store even if it exists.
    #[arg(long, requires = "demo")]
    pub rebuild: bool,
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Hub mode (docs/hub.md): cities upload bundles and edit their catalogue entries with API tokens
    /// (`urbis token create`); refused when the store has no active token.
    #[arg(long, requires = "db", conflicts_with = "demo")]
    pub hub: bool,
    /// In hub mode, the largest request body accepted, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64, requires = "hub", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_upload_mib: u32,
}

pub fn run(args: Args) -> Result<()> {
    let path = match (&args.db, args.demo) {
        (Some(db), false) => {
            if !db.exists() {
                bail!(
                    "{}: no such store; create one with `urbis indicators CONFIG --store {}`",
                    db.display(),
                    db.display()
                );
            }
            db.clone()
        }
        (db, _) => {
            let path = db.clone().unwrap_or_else(default_demo_path);
            if args.rebuild || !path.exists() {
                let clock = std::time::Instant::now();
                build_demo(&path)?;
                eprintln!("demo store built in {:.1} s: {}", clock.elapsed().as_secs_f64(), path.display());
            }
            path
        }
    };
    let state = if args.hub {
        let options = urbis_server::HubOptions { max_body: args.max_upload_mib as usize * 1024 * 1024 };
        urbis_server::AppState::open_hub(path, options)?
    } else {
        urbis_server::AppState::open(path)?
    };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the server")?;
    runtime.block_on(urbis_server::serve(args.addr, state)).with_context(|| format!("cannot serve at {}", args.addr))
}

/// `demo-VERSION-sSCHEMA.sqlite` in the user's cache folder.
fn default_demo_path() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("urbis").join(format!("demo-{}-s{}.sqlite", env!("CARGO_PKG_VERSION"), urbis_store::schema::LATEST))
}

/// The demo's files, shipped inside the binary: (folder, file, bytes).
const DEMO_FILES: [(&str, &str, &[u8]); 10] = [
    ("eusilc", "urbis.toml", include_bytes!("../../../../examples/eusilc/urbis.toml")),
    ("eusilc", "eusilc_laeken.csv", include_bytes!("../../../../examples/eusilc/eusilc_laeken.csv")),
    ("eusilc", "eusilc_db040_to_nuts2.csv", include_bytes!("../../../../examples/eusilc/eusilc_db040_to_nuts2.csv")),
    ("eusilc", "hierarchy.csv", include_bytes!("../../../../examples/eusilc/hierarchy.csv")),
    ("cities", "urbis.toml", include_bytes!("../../../../examples/cities/urbis.toml")),
    ("cities", "lfs_cities.parquet", include_bytes!("../../../../examples/cities/lfs_cities.parquet")),
    ("cities", "hierarchy.csv", include_bytes!("../../../../examples/cities/hierarchy.csv")),
    (
        "munich",
        "munich_1km_country_of_birth.csv",
        include_bytes!("../../../../examples/munich/munich_1km_country_of_birth.csv"),
    ),
    ("munich", "README.md", include_bytes!("../../../../examples/munich/README.md")),
    ("catalogue", "initiatives.csv", include_bytes!("../../../../examples/catalogue/initiatives.csv")),
];

/// Builds the demo store at `path`: into a temporary file beside it, renamed
/// into place when complete, so an interrupted build leaves nothing behind.
pub fn build_demo(path: &Path) -> Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let data = tempfile::tempdir().context("cannot create a temporary folder")?;
    for (dir, file, bytes) in DEMO_FILES {
        std::fs::create_dir_all(data.path().join(dir))?;
        std::fs::write(data.path().join(dir).join(file), bytes)?;
    }
    let partial = tempfile::Builder::new()
        .prefix(".urbis-demo-")
        .suffix(".sqlite")
        .tempfile_in(folder)
        .with_context(|| format!("cannot create a file in {}", folder.display()))?;
    let partial_path = partial.path().to_path_buf();
    for project in ["eusilc", "cities"] {
        let config = data.path().join(project).join("urbis.toml");
        let (_, run) = load_and_run(&config, true)?;
        let text = std::fs::read_to_string(&config)?;
        crate::store::write_run(&partial_path, &text, &run)?;
    }
    let segregation = crate::cmd::segregation::Args {
        file: data.path().join("munich").join("munich_1km_country_of_birth.csv"),
        group: None,
        total: None,
        groups: ["born_rest_world", "born_other_europe", "born_EU27", "born_DE"].map(String::from).to_vec(),
        unit: Some("GRD_ID".into()),
        scales: vec![1000, 2000, 5000, 10000],
        areas: None,
        area_code: "code".into(),
        unit_areas: None,
        lq: false,
        bootstrap: None,
        permutations: None,
        seed: 1,
        level: 0.95,
        atkinson_b: 0.5,
        format: crate::cmd::segregation::Format::Csv,
        out: None,
        store: Some(partial_path.clone()),
        dataset: Some("munich_census_2011".into()),
        description: Some(
            "Munich, German census 2011 (Zensus 2011), persons by country of birth on the 1 km INSPIRE grid; © Statistisches Bundesamt 2018".into(),
        ),
    };
    crate::cmd::segregation::run(segregation)?;
    let catalogue = data.path().join("catalogue").join("initiatives.csv");
    let entries = urbis_store::catalogue::parse_csv(&std::fs::read(&catalogue)?, &catalogue.display().to_string())?;
    urbis_store::Store::open(&partial_path)?.import_catalogue(&entries)?;
    partial.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
