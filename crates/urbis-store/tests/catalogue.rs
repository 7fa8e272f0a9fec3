//! The catalogue: the demo file loads, full-text search finds entries by
//! words and prefixes, filters by place, topic and indicator, and an import
//! of a known id replaces the entry (search index included).

use urbis_store::catalogue::{self, Search};
use urbis_store::Store;

fn demo() -> Vec<catalogue::Initiative> {
    let path = format!("{}/../../examples/catalogue/initiatives.csv", env!("CARGO_MANIFEST_DIR"));
    catalogue::parse_csv(&std::fs::read(&path).unwrap(), &path).unwrap()
}

fn ids(found: &[catalogue::Initiative]) -> Vec<&str> {
    found.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn search_by_words_place_topic_and_indicator() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("c.sqlite")).unwrap();
    let entries = demo();
    assert_eq!(store.import_catalogue(&entries).unwrap(), (entries.len(), 0));
    let search = |s: Search| store.initiatives(&s).unwrap();
    let text = |t: &str| Search { text: Some(t.into()), ..Default::default() };
    assert_eq!(ids(&search(text("coaching"))), ["start-wien"], "words of the title and description");
    assert_eq!(ids(&search(text("booklet"))), ["start-wien"]);
    assert_eq!(ids(&search(text("Coach Vienna"))), ["start-wien"], "prefixes, every word, any case");
    assert_eq!(ids(&search(text("Eurocities charter"))), ["integrating-cities-charter"]);
    assert!(search(text("coaching nonexistentword")).is_empty());
    assert_eq!(ids(&search(text("\"( OR *"))), ids(&search(text("or"))), "FTS syntax in the input is only words");
    let all = search(Search::default());
    assert_eq!(all.len(), entries.len());
    assert!(all.windows(2).all(|w| w[0].title <= w[1].title), "by title without words");

    let vienna = search(Search { places: vec!["AT130".into()], ..Default::default() });
    assert_eq!(ids(&vienna), ["start-wien"]);
    let housing = search(Search { topic: Some("housing".into()), ..Default::default() });
    assert!(!housing.is_empty() && housing.iter().all(|e| e.topics.iter().any(|t| t == "housing")));
    let arop = search(Search { indicator: Some("arop".into()), ..Default::default() });
    assert!(arop.iter().all(|e| e.indicators.iter().any(|i| i == "arop")) && arop.len() >= 2);
    let emp = search(Search { indicator: Some("emp".into()), ..Default::default() });
    assert!(emp.is_empty(), "an indicator id matches whole, not as a prefix of emp_rate");
    let both =
        search(Search { text: Some("statistics".into()), topic: Some("employment".into()), ..Default::default() });
    assert!(ids(&both).contains(&"eurostat-migrant-integration"));

    // A new version of an entry replaces it, in the index too.
    let mut changed = entries.iter().find(|e| e.id == "start-wien").unwrap().clone();
    changed.description = "Orientation for newcomers, with a welcome folder.".into();
    assert_eq!(store.import_catalogue(&[changed.clone()]).unwrap(), (0, 1));
    let search = |s: Search| store.initiatives(&s).unwrap();
    assert!(search(text("booklet")).is_empty(), "the old description is out of the index");
    assert_eq!(ids(&search(text("folder"))), ["start-wien"]);
    assert_eq!(store.initiative("start-wien").unwrap().unwrap(), changed);
    assert_eq!(store.initiatives(&Search::default()).unwrap().len(), entries.len());
}

#[test]
fn every_demo_entry_has_a_public_link() {
    for e in demo() {
        assert!(!e.links.is_empty(), "{}", e.id);
        assert!(e.links.iter().all(|l| l.starts_with("https://") || l.starts_with("http://")), "{}", e.id);
    }
}
