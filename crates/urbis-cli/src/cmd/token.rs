//! `urbis token create|list|revoke --db FILE`: the API tokens of a hub
//! (docs/hub.md). A token is printed once, when it is made; the store keeps
//! only its SHA-256.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use urbis_store::Store;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  urbis token create --city AT130 --label \"Vienna statistics office\" --db hub.sqlite\n  urbis token list --db hub.sqlite\n  urbis token revoke 3 --db hub.sqlite"
)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Makes a token for a city and prints it once (the store keeps only its SHA-256).
    Create {
        /// The city's code: the publisher code of its bundles (`urbis export --publisher CODE`).
        #[arg(long)]
        city: String,
        /// A note on who holds the token.
        #[arg(long, default_value = "")]
        label: String,
        /// The hub's store (created if needed).
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
    /// Lists the tokens (id, city, label, made, revoked), never the tokens themselves.
    List {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
    /// Revokes a token by its id (see `urbis token list`); it stops working at once.
    Revoke {
        /// The token's id.
        id: i64,
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
}

fn existing(db: &Path) -> Result<Store> {
    if !db.is_file() {
        bail!("{}: no such store", db.display());
    }
    Ok(Store::open(db)?)
}

pub fn run(args: Args) -> Result<()> {
    match args.action {
        Action::Create { city, label, db } => {
            let mut store = Store::open(&db)?;
            let (info, token) = store.create_token(&city, &label, &urbis_store::now_utc())?;
            println!("{token}");
            eprintln!(
                "token {} for city {} made in {}; it is shown only now: keep it secret, and give it to the city (Authorization: Bearer TOKEN)",
                info.id,
                info.city,
                db.display()
            );
            Ok(())
        }
        Action::List { db } => {
            let store = existing(&db)?;
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["id", "city", "label", "created_at", "revoked_at"])?;
            for t in store.tokens()? {
                w.write_record([t.id.to_string(), t.city, t.label, t.created_at, t.revoked_at.unwrap_or_default()])?;
            }
            crate::output::emit(None, &w.into_inner()?)
        }
        Action::Revoke { id, db } => {
            let mut store = existing(&db)?;
            if !store.revoke_token(id, &urbis_store::now_utc())? {
                bail!("{}: no active token {id} (see `urbis token list --db {}`)", db.display(), db.display());
            }
            eprintln!("token {id} revoked in {}", db.display());
            Ok(())
        }
    }
}
