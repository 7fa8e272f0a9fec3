//! Unit tests of the whole generator: sizes, ranges, household consistency,
//! replicate weights, determinism and the direction of the gaps.

use std::collections::HashMap;

use crate::model::NA;
use crate::write::Sink;
use crate::{Block, Config, Format, Generator, Kind, SynthError};

/// Keeps every block in memory.
#[derive(Default)]
struct Collect(Vec<Block>);

impl Sink for Collect {
    fn write(&mut self, blocks: &[Block]) -> Result<(), SynthError> {
        for b in blocks {
            self.0.push(Block { plan: b.plan.clone(), rows: clone_rows(&b.rows) });
        }
        Ok(())
    }
}

fn clone_rows(r: &crate::model::Rows) -> crate::model::Rows {
    crate::model::Rows {
        psu: r.psu.clone(),
        psu_id: r.psu_id.clone(),
        hh_id: r.hh_id.clone(),
        person_id: r.person_id.clone(),
        weight: r.weight.clone(),
        sex: r.sex.clone(),
        age: r.age.clone(),
        cob: r.cob.clone(),
        citizenship: r.citizenship.clone(),
        cob_father: r.cob_father.clone(),
        cob_mother: r.cob_mother.clone(),
        years_res: r.years_res.clone(),
        ilo: r.ilo.clone(),
        unemp_months: r.unemp_months.clone(),
        stapro: r.stapro.clone(),
        temp: r.temp.clone(),
        ftpt: r.ftpt.clone(),
        isced: r.isced.clone(),
        isco: r.isco.clone(),
        educ4w: r.educ4w.clone(),
        eq_income: r.eq_income.clone(),
        tenure: r.tenure.clone(),
        rooms: r.rooms.clone(),
        hh_size: r.hh_size.clone(),
        health: r.health.clone(),
    }
}

fn generate(config: Config) -> (Generator, Vec<Block>) {
    let g = Generator::new(config).unwrap();
    let mut sink = Collect::default();
    g.run(crate::write::chunk_rows(g.config.replicates), &mut sink, None).unwrap();
    (g, sink.0)
}

fn config(persons: u64, areas: &[&str]) -> Config {
    Config { persons, areas: areas.iter().map(|s| s.to_string()).collect(), ..Config::default() }
}

/// Weighted share helper: (numerator, denominator) sums.
#[derive(Default, Clone, Copy, Debug)]
struct Share(f64, f64);

impl Share {
    fn add(&mut self, w: f64, yes: bool) {
        self.1 += w;
        if yes {
            self.0 += w;
        }
    }
    fn rate(&self) -> f64 {
        self.0 / self.1
    }
}

/// Group of a person: 0 native, 1 second generation, 2 EU-born, 3 non-EU-born.
fn group(g: &Generator, b: &Block, i: usize) -> usize {
    let own = g.model.area_models[b.plan.stratum.area].own;
    let r = &b.rows;
    if r.cob[i] != own {
        if crate::is_eu27(&g.model.countries.codes[r.cob[i] as usize]) {
            2
        } else {
            3
        }
    } else if r.cob_father[i] != own || r.cob_mother[i] != own {
        1
    } else {
        0
    }
}

#[derive(Default, Debug)]
struct Indicators {
    population: [f64; 4],
    employment: [Share; 4],
    unemployment: [Share; 4],
    overqualified: [Share; 4],
    poverty: [Share; 4],
    tenant: [Share; 4],
    overcrowded: [Share; 4],
    tertiary: [Share; 4],
    low_education: [Share; 4],
    good_health: [Share; 4],
}

fn weighted_median(mut v: Vec<(f64, f64)>) -> f64 {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|x| x.1).sum();
    let mut acc = 0.0;
    for (x, w) in v {
        acc += w;
        if acc >= total / 2.0 {
            return x;
        }
    }
    f64::NAN
}

/// Indicators by group, for the persons of `area` (all areas when None).
fn indicators(g: &Generator, blocks: &[Block], area: Option<usize>) -> Indicators {
    let mut ind = Indicators::default();
    let keep = |b: &Block| area.is_none_or(|a| b.plan.stratum.area == a);
    // Poverty threshold: 60 % of the weighted median of each area.
    let mut medians = HashMap::new();
    for a in 0..g.model.areas.len() {
        let v: Vec<(f64, f64)> = blocks
            .iter()
            .filter(|b| b.plan.stratum.area == a)
            .flat_map(|b| (0..b.rows.len()).map(move |i| (b.rows.eq_income[i], b.rows.weight[i])))
            .collect();
        medians.insert(a, weighted_median(v));
    }
    for b in blocks.iter().filter(|b| keep(b)) {
        let r = &b.rows;
        let threshold = 0.6 * medians[&b.plan.stratum.area];
        for i in 0..r.len() {
            let (k, w, age) = (group(g, b, i), r.weight[i], r.age[i]);
            ind.population[k] += w;
            if (20..65).contains(&age) {
                ind.employment[k].add(w, r.ilo[i] == 1);
            }
            if (15..75).contains(&age) && r.ilo[i] != 3 {
                ind.unemployment[k].add(w, r.ilo[i] == 2);
            }
            if (20..65).contains(&age) && r.ilo[i] == 1 && r.isced[i] >= 5 {
                ind.overqualified[k].add(w, r.isco[i] >= 4);
            }
            if (25..65).contains(&age) {
                ind.tertiary[k].add(w, r.isced[i] >= 5);
                ind.low_education[k].add(w, r.isced[i] <= 2);
            }
            if age >= 16 {
                ind.good_health[k].add(w, r.health[i] <= 2);
            }
            ind.poverty[k].add(w, r.eq_income[i] < threshold);
            ind.tenant[k].add(w, r.tenure[i] == 2);
            // Overcrowded: fewer rooms than one per person aged 12+ pair rule, simplified: rooms < hh_size / 1.5 + 1.
            ind.overcrowded[k].add(w, (r.rooms[i] as f64) < 1.0 + (r.hh_size[i] as f64 - 1.0) * 0.67);
        }
    }
    ind
}

#[test]
fn gaps_go_in_the_documented_direction() {
    let (g, blocks) = generate(config(200_000, &["DE212", "ES300"]));
    let ind = indicators(&g, &blocks, None);
    let (nat, second, non_eu) = (0, 1, 3);
    let e = ind.employment.map(|s| s.rate());
    assert!((0.72..0.83).contains(&e[nat]), "native employment rate {}", e[nat]);
    assert!((0.55..0.70).contains(&e[non_eu]), "non-EU employment rate {}", e[non_eu]);
    assert!(e[non_eu] < e[second] && e[second] < e[nat], "{e:?}");
    let higher = |s: &[Share; 4], what: &str| {
        let r = s.map(|s| s.rate());
        assert!(r[non_eu] > r[nat] + 0.05, "{what}: {r:?}");
    };
    higher(&ind.unemployment, "unemployment");
    higher(&ind.overqualified, "over-qualification");
    higher(&ind.poverty, "poverty");
    higher(&ind.tenant, "tenants");
    higher(&ind.overcrowded, "overcrowding");
}

#[test]
fn sizes_ranges_and_households() {
    let mut c = config(30_011, &["DE212", "FR101"]);
    c.years = (2022, 2024);
    c.districts = 4;
    c.replicates = 5;
    let (g, blocks) = generate(c);
    let n: usize = blocks.iter().map(|b| b.rows.len()).sum();
    assert_eq!(n, 30_011);
    // Household id → (its attributes, members seen).
    type HhKey = (usize, i32, i32, u64, u64, i32, i32);
    let mut households: HashMap<i64, (HhKey, usize)> = HashMap::new();
    let mut persons = std::collections::HashSet::new();
    let mut psu_mult: HashMap<(usize, i32, usize), f64> = HashMap::new();
    let mut psu_ids: HashMap<i64, (usize, i32)> = HashMap::new();
    for b in &blocks {
        let r = &b.rows;
        let s = b.plan.stratum.index;
        assert!((2022..=2024).contains(&b.plan.stratum.year));
        for i in 0..r.len() {
            assert!(persons.insert(r.person_id[i]), "person ids are unique");
            assert_eq!(r.person_id[i] / 100, r.hh_id[i]);
            assert!((1..=6).contains(&(r.person_id[i] % 100)));
            assert!(r.sex[i] == 1 || r.sex[i] == 2);
            assert!((0..=95).contains(&r.age[i]));
            let age = r.age[i];
            let adult = age >= 15;
            assert_eq!(r.ilo[i] != NA, adult);
            assert_eq!(r.isced[i] != NA, adult);
            assert_eq!(r.educ4w[i] != NA, adult);
            assert_eq!(r.health[i] != NA, age >= 16);
            if adult {
                assert!((1..=3).contains(&r.ilo[i]) && (0..=8).contains(&r.isced[i]));
                assert!((0..=1).contains(&r.educ4w[i]));
            }
            if r.health[i] != NA {
                assert!((1..=5).contains(&r.health[i]));
            }
            let employed = r.ilo[i] == 1;
            assert_eq!(r.unemp_months[i] != NA, r.ilo[i] == 2);
            if r.ilo[i] == 2 {
                assert!((1..=120).contains(&r.unemp_months[i]));
            }
            assert_eq!(r.stapro[i] != NA, employed);
            assert_eq!(r.ftpt[i] != NA, employed);
            assert_eq!(r.isco[i] != NA, employed);
            assert_eq!(r.temp[i] != NA, r.stapro[i] == 1);
            if employed {
                assert!((1..=3).contains(&r.stapro[i]) && (1..=2).contains(&r.ftpt[i]) && (0..=9).contains(&r.isco[i]));
            }
            let own = g.model.area_models[b.plan.stratum.area].own;
            assert_eq!(r.years_res[i] == NA, r.cob[i] == own);
            if r.years_res[i] != NA {
                assert!((0..=age).contains(&r.years_res[i]));
            }
            assert!(r.weight[i] >= 1.0 && (r.weight[i] * 100.0).round() / 100.0 == r.weight[i]);
            assert!(r.eq_income[i] >= 1.0 && r.eq_income[i].fract() == 0.0);
            assert!(r.tenure[i] == 1 || r.tenure[i] == 2);
            assert!(r.rooms[i] >= 1 && (1..=6).contains(&r.hh_size[i]));
            let key: HhKey =
                (s, r.hh_size[i], r.psu[i], r.eq_income[i].to_bits(), r.weight[i].to_bits(), r.tenure[i], r.rooms[i]);
            let entry = households.entry(r.hh_id[i]).or_insert((key, 0));
            assert_eq!(entry.0, key, "household {} has one district, PSU, income, weight, tenure, rooms", r.hh_id[i]);
            entry.1 += 1;
            assert_eq!(*psu_ids.entry(r.psu_id[i]).or_insert((s, r.psu[i])), (s, r.psu[i]), "psu_id ↔ (stratum, psu)");
            for rep in 0..5 {
                let m = crate::write::rep_weight(b, rep, i) / r.weight[i];
                let e = psu_mult.entry((s, r.psu[i], rep)).or_insert(m);
                assert!((*e - m).abs() < 1e-12 * m.max(1.0), "replicate multiplier constant within a PSU");
            }
        }
    }
    for (id, (key, members)) in &households {
        assert_eq!(key.1 as usize, *members, "hh_size of household {id} equals its members");
    }
    // Rao–Wu: per stratum and replicate, the counts sum to n_h − 1.
    for b in &blocks {
        let p = &b.plan;
        let n = p.psu_persons.len();
        for rep in 0..5 {
            let sum: u32 = p.rep_counts[rep * n..(rep + 1) * n].iter().map(|&c| c as u32).sum();
            assert_eq!(sum as usize, n - 1);
        }
        assert!((p.rep_factor - n as f64 / (n - 1) as f64).abs() < 1e-15);
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let write = |seed: u64, threads: usize, format: Format| {
        let mut c = config(5_000, &["AT130", "ITC4C"]);
        c.seed = seed;
        c.replicates = 3;
        let g = Generator::new(c).unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut out = Vec::new();
        pool.install(|| g.write(format, &mut out, None)).unwrap();
        out
    };
    for format in [Format::Csv, Format::Parquet] {
        let a = write(7, 1, format);
        assert_eq!(a, write(7, 3, format));
        assert_ne!(a, write(8, 2, format));
    }
}

#[test]
fn kinds_select_columns() {
    let names = |kind| {
        let mut c = config(2_000, &["FR101"]);
        c.kind = kind;
        c.replicates = 2;
        Generator::new(c).unwrap().column_names()
    };
    let both = names(Kind::Both);
    assert_eq!(both.len(), 28 + 2);
    assert_eq!(both.last().unwrap(), "rep_2");
    let lfs = names(Kind::Lfs);
    assert!(lfs.contains(&"isco".to_string()) && !lfs.contains(&"eq_income".to_string()));
    let silc = names(Kind::Silc);
    assert!(silc.contains(&"eq_income".to_string()) && !silc.contains(&"isco".to_string()));
    assert!(silc.contains(&"ilo".to_string()) && silc.contains(&"isced".to_string()));
}

#[test]
fn bad_configurations_are_refused() {
    let err = |c: Config| Generator::new(c).err().expect("an error").to_string();
    assert!(err(config(10_000, &[])).contains("no areas"));
    assert!(err(config(10_000, &["IT_C4"])).contains("not a NUTS 3 code"));
    assert!(err(config(10_000, &["DE212", "de212"])).contains("twice"));
    assert!(err(config(100, &["DE212"])).contains("too few"));
    let mut c = config(10_000, &["DE212"]);
    c.years = (2025, 2024);
    assert!(err(c).contains("bad years"));
    let mut c = config(10_000, &["DE212"]);
    c.districts = 0;
    assert!(err(c).contains("districts"));
}
