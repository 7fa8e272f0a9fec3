//! API tokens of a hub (docs/hub.md): stored as SHA-256 hashes only,
//! authenticated until revoked, made from 256 random bits.

use urbis_store::Store;

#[test]
fn tokens_are_stored_hashed_and_work_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let mut store = Store::open(&path).unwrap();
    let (info, token) = store.create_token("AT130", "Vienna office", "2026-12-01T00:00:00Z").unwrap();
    let (_, other) = store.create_token("DE212", "", "2026-12-01T00:00:00Z").unwrap();
    assert!(token.starts_with("urbis_") && token.len() == 6 + 64, "{token}");
    assert!(token[6..].chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(token, other, "tokens are random");
    assert_eq!(store.authenticate(&token).unwrap().map(|t| t.city), Some("AT130".to_string()));
    assert_eq!(store.authenticate(&other).unwrap().map(|t| t.city), Some("DE212".to_string()));
    assert_eq!(store.authenticate("urbis_0000").unwrap(), None);
    assert_eq!(store.authenticate(&token[..token.len() - 1]).unwrap(), None, "a prefix is not the token");
    assert_eq!(store.active_tokens().unwrap(), 2);

    // Only the hash is in the file (database and journal), never the token.
    drop(store);
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(path.with_extension("sqlite-wal")) {
        bytes.extend(wal);
    }
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(&token) && !text.contains(&token[6..]) && !text.contains(&other[6..]));
    assert!(text.contains(&urbis_store::bundle::sha256_hex(token.as_bytes())), "the hash is what is kept");

    let mut store = Store::open(&path).unwrap();
    assert!(store.revoke_token(info.id, "2026-12-02T00:00:00Z").unwrap());
    assert!(!store.revoke_token(info.id, "2026-12-03T00:00:00Z").unwrap(), "already revoked");
    assert_eq!(store.authenticate(&token).unwrap(), None, "revoked");
    assert_eq!(store.active_tokens().unwrap(), 1);
    let listed = store.tokens().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].revoked_at.as_deref(), Some("2026-12-02T00:00:00Z"));
    assert_eq!(listed[0].label, "Vienna office");
    // Read-only connections (the server's) authenticate too.
    let read_only = Store::open_read_only(&path).unwrap();
    assert_eq!(read_only.authenticate(&other).unwrap().map(|t| t.city), Some("DE212".to_string()));
    assert!(store.create_token("../x", "", "2026-12-01T00:00:00Z").is_err(), "not a city code");
}
