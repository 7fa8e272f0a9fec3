//! Read-only store connections, checked out per request and returned after.
//! SQLite connections are not shared between threads at once, so each
//! request takes its own; new ones are opened when all are busy.

use std::path::PathBuf;
use std::sync::Mutex;

use urbis_store::{Result, Store};

pub struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Store>>,
}

impl Pool {
    /// Opens one connection to check the store, and keeps it.
    pub fn open(path: PathBuf) -> Result<Pool> {
        let first = Store::open_read_only(&path)?;
        Ok(Pool { path, idle: Mutex::new(vec![first]) })
    }

    /// The store's file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Runs `f` with a connection.
    pub fn with<T>(&self, f: impl FnOnce(&Store) -> T) -> Result<T> {
        let taken = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let store = match taken {
            Some(s) => s,
            None => Store::open_read_only(&self.path)?,
        };
        let out = f(&store);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < 16 {
            idle.push(store);
        }
        Ok(out)
    }
}
