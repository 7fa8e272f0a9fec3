//! The test store shared by the server's tests.

#![allow(dead_code)]

use urbis_core::{IndicatorRow, Measure};
use urbis_store::{
    AreaInfo, DatasetInfo, GridCounts, IndicatorInfo, RunInput, SegregationInput, SegregationRow, Store,
};

/// A published figure of the employment rate with n = 300.
pub fn row(geo: &str, level: &str, group: &str, measure: Measure, estimate: f64) -> IndicatorRow {
    IndicatorRow {
        indicator: "emp_rate".into(),
        geo: geo.into(),
        geo_level: level.into(),
        time: "2023".into(),
        breakdown: "c_birth".into(),
        group: group.into(),
        measure,
        unit: if measure == Measure::Value { "PC".into() } else { "PP".into() },
        estimate,
        se: 1.7,
        ci_low: estimate - 3.3,
        ci_high: estimate + 3.3,
        n: Some(300),
        flag: String::new(),
        conf_status: "F".into(),
        method: "direct".into(),
        definition: "c_birth.iso.v1".into(),
        significant: (measure != Measure::Value).then_some(true),
    }
}

/// The figure as the publication rules leave a confidential cell: no value, no n.
fn suppressed(mut r: IndicatorRow) -> IndicatorRow {
    (r.estimate, r.se, r.ci_low, r.ci_high, r.n) = (f64::NAN, f64::NAN, f64::NAN, f64::NAN, None);
    r.conf_status = "C".into();
    r
}

/// A store with one indicator for Austria's NUTS 2 regions and the country
/// (one low-reliability and one suppressed figure), and a small grid.
pub fn fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.sqlite");
    let mut rows = Vec::new();
    for (geo, level, nat, fo) in
        [("AT13", "nuts2", 74.0, 61.0), ("AT34", "nuts2", 78.0, 70.0), ("AT", "country", 76.5, 65.0)]
    {
        rows.push(row(geo, level, "NAT", Measure::Value, nat));
        rows.push(row(geo, level, "FOR", Measure::Value, fo));
        rows.push(row(geo, level, "FOR", Measure::GapDifference, fo - nat));
        rows.push(row(geo, level, "TOTAL", Measure::Value, nat - 2.0));
    }
    // Structural characteristics for peers: foreign-born and non-EU-born shares, unemployment.
    for (geo, fo, neu, un) in [("AT13", 34.0, 20.0, 10.5), ("AT34", 22.0, 8.0, 5.0)] {
        for (indicator, group, value) in
            [("pop_share", "FOR", fo), ("pop_share", "NEU27_2020_FOR", neu), ("unemp_rate", "TOTAL", un)]
        {
            let mut r = row(geo, "nuts2", group, Measure::Value, value);
            r.indicator = indicator.into();
            rows.push(r);
        }
    }
    let mut unreliable = row("AT13", "nuts2", "EU27_2020_FOR", Measure::Value, 66.0);
    (unreliable.n, unreliable.flag) = (Some(35), "u".into());
    rows.push(unreliable);
    rows.push(suppressed(row("AT34", "nuts2", "EU27_2020_FOR", Measure::Value, 0.0)));
    // An earlier year for Vienna: the chart shows it over time.
    for (group, estimate) in [("NAT", 73.0), ("FOR", 59.5)] {
        let mut earlier = row("AT13", "nuts2", group, Measure::Value, estimate);
        earlier.time = "2022".into();
        rows.push(earlier);
    }
    let indicators = [IndicatorInfo {
        id: "emp_rate".into(),
        label: "Employment rate 20-64".into(),
        family: "employment".into(),
        unit: "PC".into(),
        statistic: "share".into(),
        population: "age 20-64".into(),
        numerator: "employed".into(),
        variable: String::new(),
        source_type: "LFS".into(),
        reference: "lfsa_ergacob".into(),
    }];
    let datasets = [DatasetInfo {
        name: "lfs".into(),
        file: "lfs.csv".into(),
        rows: 5000,
        years: vec!["2023".into()],
        design: "stratified".into(),
    }];
    let areas = [
        AreaInfo { code: "AT13".into(), name: Some("Wien".into()), level: "nuts2".into(), parent: Some("AT".into()) },
        AreaInfo {
            code: "AT34".into(),
            name: Some("Vorarlberg".into()),
            level: "nuts2".into(),
            parent: Some("AT".into()),
        },
        AreaInfo { code: "AT".into(), name: Some("Österreich".into()), level: "country".into(), parent: None },
    ];
    let mut store = Store::open(&path).unwrap();
    store
        .write_run(&RunInput {
            project: "Austria test",
            software: "urbis test",
            created_at: "2026-11-25T00:00:00Z",
            config: None,
            metadata_json: r#"{"confidence_level":0.95,"definitions":{"c_birth.iso.v1":"Country of birth, ISO codes"}}"#,
            review_json: r#"{"counts":{"published":15,"primary":1}}"#,
            indicators: &indicators,
            datasets: &datasets,
            areas: &areas,
            rows: &rows,
            facts: &[facts("AT13", 2_000_000.0, 100.0), facts("AT34", 400_000.0, 0.0)],
        })
        .unwrap();
    let entries = urbis_store::catalogue::parse_csv(
        b"id,kind,title,place,topics,description,links,indicators\n\
          start-wien,initiative,StartWien,AT13,language;employment,Start coaching for new migrants in Vienna,https://www.eipa.eu/epsa/startwien,emp_rate\n\
          eu-plan,instrument,EU action plan,EU,housing;health,Integration and inclusion plan,https://home-affairs.ec.europa.eu/,\n",
        "catalogue.csv",
    )
    .unwrap();
    store.import_catalogue(&entries).unwrap();
    let cells =
        ["CRS3035RES1000mN2772000E4422000", "CRS3035RES1000mN2773000E4422000", "CRS3035RES1000mN2772000E4423000"];
    let grid: Vec<GridCounts> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| GridCounts {
            cell: c.to_string(),
            group: "foreign_born".into(),
            count: 10.0 * (i + 1) as f64,
            total: 100.0,
        })
        .collect();
    let seg = [SegregationRow {
        scale: "1000".into(),
        index: "dissimilarity".into(),
        group: "foreign_born".into(),
        value: 0.158,
        se: f64::NAN,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
        units: 3,
    }];
    store
        .write_segregation(&SegregationInput {
            dataset: "grid_test",
            software: "urbis test",
            created_at: "2026-11-25T00:00:00Z",
            source: "three cells",
            groups: &["foreign_born".to_string()],
            total: "total",
            rows: &seg,
            grid: &grid,
        })
        .unwrap();
    (dir, path)
}

/// A nuts2 area's population and share living in cities.
fn facts(code: &str, population: f64, city_share: f64) -> urbis_core::AreaFacts {
    urbis_core::AreaFacts {
        code: code.into(),
        level: "nuts2".into(),
        population: Some(population),
        population_date: Some("2024-01-01".into()),
        degurba: None,
        city_share: Some(city_share),
    }
}
