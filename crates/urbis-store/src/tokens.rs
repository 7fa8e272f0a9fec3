//! The API tokens of a hub (docs/hub.md): each lets one city upload and
//! delete its own bundles and edit its own catalogue entries.
//!
//! A token is `urbis_` and 64 hexadecimal digits: 256 bits from the
//! operating system's generator. It is shown once, when it is made; the
//! store keeps only its SHA-256, the city's code, a label and when it was
//! made (and revoked). A presented token is hashed and compared with every
//! active token's hash in constant time.

use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Result, Store, StoreError};

/// What every token starts with, so a leaked one is recognisable.
pub const PREFIX: &str = "urbis_";

/// A token as the store lists it: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    /// The city's code (the publisher code of its bundles, e.g. `AT130`).
    pub city: String,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// Whether `code` can be a city's code: 1 to 32 ASCII letters, digits, `_`
/// or `-` (LAU and NUTS codes, an office's acronym).
pub fn valid_city(code: &str) -> bool {
    (1..=32).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The SHA-256 of `bytes`, as stored.
fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Equality of two digests whose time does not depend on where they differ.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    for (k, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * k..2 * k + 2], 16).ok()?;
    }
    Some(out)
}

/// A token's columns from `first` on: id, city, label, created_at, revoked_at.
fn info_at(r: &rusqlite::Row, first: usize) -> rusqlite::Result<TokenInfo> {
    Ok(TokenInfo {
        id: r.get(first)?,
        city: r.get(first + 1)?,
        label: r.get(first + 2)?,
        created_at: r.get(first + 3)?,
        revoked_at: r.get(first + 4)?,
    })
}

impl Store {
    /// Makes a token for `city` and returns it with what the store keeps.
    /// The token is not stored: show it to the user once.
    pub fn create_token(&mut self, city: &str, label: &str, created_at: &str) -> Result<(TokenInfo, String)> {
        if !valid_city(city) {
            return Err(StoreError::Invalid {
                path: self.path.clone(),
                message: format!("'{city}' is not a city code (1 to 32 letters, digits, _ or -)"),
            });
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| StoreError::Invalid {
            path: self.path.clone(),
            message: format!("the operating system gave no random bytes for a token ({e})"),
        })?;
        let token = format!("{PREFIX}{}", hex(&secret));
        self.conn
            .execute(
                "INSERT INTO tokens (city, sha256, label, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![city, hex(&digest(token.as_bytes())), label, created_at],
            )
            .map_err(|e| self.error(e))?;
        let id = self.conn.last_insert_rowid();
        let info =
            TokenInfo { id, city: city.into(), label: label.into(), created_at: created_at.into(), revoked_at: None };
        Ok((info, token))
    }

    /// Every token, active and revoked, by id.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>> {
        self.query("SELECT id, city, label, created_at, revoked_at FROM tokens ORDER BY id", vec![], |r| info_at(r, 0))
    }

    /// How many tokens are active (not revoked).
    pub fn active_tokens(&self) -> Result<usize> {
        Ok(self.tokens()?.iter().filter(|t| t.revoked_at.is_none()).count())
    }

    /// Revokes a token by id; `false` when there is no such active token.
    pub fn revoke_token(&mut self, id: i64, revoked_at: &str) -> Result<bool> {
        let changed = self
            .conn
            .execute("UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", params![id, revoked_at])
            .map_err(|e| self.error(e))?;
        Ok(changed == 1)
    }

    /// The active token `presented` is, if any. Every active token's hash is
    /// compared, each in constant time.
    pub fn authenticate(&self, presented: &str) -> Result<Option<TokenInfo>> {
        let wanted = digest(presented.as_bytes());
        let active: Vec<(String, TokenInfo)> = self.query(
            "SELECT sha256, id, city, label, created_at, revoked_at FROM tokens WHERE revoked_at IS NULL ORDER BY id",
            vec![],
            |r| Ok((r.get(0)?, info_at(r, 1)?)),
        )?;
        let mut found = None;
        for (stored, token) in active {
            if unhex(&stored).is_some_and(|h| same(&h, &wanted)) && found.is_none() {
                found = Some(token);
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_compare_equal_only_when_equal() {
        let a = digest(b"urbis_a");
        let mut b = a;
        assert!(same(&a, &b));
        b[31] ^= 1;
        assert!(!same(&a, &b));
        assert_eq!(unhex(&hex(&a)), Some(a));
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn city_codes() {
        assert!(valid_city("AT130") && valid_city("DE_09162000") && valid_city("wien-ma17"));
        assert!(!valid_city("") && !valid_city("AT 130") && !valid_city("../x") && !valid_city(&"A".repeat(33)));
    }
}
