//! `urbis synth`: deterministic output, sizes, codes in range, household and
//! design consistency, migrant–native gaps in the documented direction, and
//! the failure contract for bad arguments.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use common::urbis;

fn run_ok(args: &[&str]) {
    let run = urbis(args);
    assert_eq!(run.status, 0, "urbis {args:?} failed: {}", run.stderr);
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Rows of a CSV file as maps column → value.
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    common::csv_rows(&std::fs::read_to_string(path).unwrap())
}

fn num(r: &HashMap<String, String>, c: &str) -> Option<f64> {
    let v = &r[c];
    if v.is_empty() {
        None
    } else {
        Some(v.parse().unwrap_or_else(|_| panic!("column {c}: '{v}' is not a number")))
    }
}

#[test]
fn same_seed_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let f = |name: &str| dir.path().join(name);
    let base = ["synth", "--persons", "6000", "--areas", "DE212,FR101", "--replicates", "4", "--seed", "42"];
    for (name, fmt) in [("a.csv", "csv"), ("b.csv", "csv"), ("a.parquet", "parquet"), ("b.parquet", "parquet")] {
        let path = f(name);
        let mut args = base.to_vec();
        args.extend(["--format", fmt, "--out", p(&path)]);
        run_ok(&args);
    }
    let path = f("c.csv");
    let mut args = base.to_vec();
    args[8] = "43";
    args.extend(["--out", p(&path)]);
    run_ok(&args);
    let read = |n: &str| std::fs::read(f(n)).unwrap();
    assert_eq!(read("a.csv"), read("b.csv"));
    assert_eq!(read("a.parquet"), read("b.parquet"));
    assert_ne!(read("a.csv"), read("c.csv"));
    assert!(read("a.parquet").starts_with(b"PAR1"));
}

#[test]
fn parquet_and_csv_agree_and_parquet_is_readable_by_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, pq) = (dir.path().join("s.csv"), dir.path().join("s.parquet"));
    for out in [&csv, &pq] {
        run_ok(&["synth", "--persons", "3000", "--areas", "AT130", "--replicates", "3", "--out", p(out)]);
    }
    let est = |file: &Path| {
        let run = urbis(&[
            "estimate",
            p(file),
            "--ids",
            "psu",
            "--strata",
            "stratum",
            "--nest",
            "--weights",
            "weight",
            "--mean",
            "eq_income",
            "--prop",
            "ilo",
            "--total",
            "rep_3",
        ]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        run.stdout
    };
    assert_eq!(est(&csv), est(&pq));
}

#[test]
fn sizes_codes_households_and_replicates() {
    let dir = tempfile::tempdir().unwrap();
    let (out, hier) = (dir.path().join("s.csv"), dir.path().join("h.csv"));
    let areas_file = dir.path().join("areas.txt");
    std::fs::write(&areas_file, "# more areas\nES300\n\nitc4c\n").unwrap();
    run_ok(&[
        "synth",
        "--persons",
        "20011",
        "--areas",
        "DE212,AT130",
        "--areas-file",
        p(&areas_file),
        "--districts",
        "3",
        "--years",
        "2023-2024",
        "--replicates",
        "5",
        "--out",
        p(&out),
        "--hierarchy-out",
        p(&hier),
    ]);

    let h = rows(&hier);
    assert_eq!(h.len(), 4 * 3);
    let districts: HashSet<String> = h.iter().map(|r| r["district"].clone()).collect();
    let milan = h.iter().find(|r| r["district"] == "ITC4C_D02").expect("ITC4C_D02");
    assert_eq!((&*milan["city"], &*milan["nuts3"], &*milan["nuts2"]), ("ITC4C", "ITC4C", "ITC4"));
    assert_eq!((&*milan["country"], &*milan["degurba"]), ("IT", "DEG1"));
    let residents = |r: &HashMap<String, String>| r["population"].parse::<f64>().expect("a whole number");
    assert!(h.iter().all(|r| residents(r) >= 1000.0 && residents(r).fract() == 0.0), "{h:?}");

    let data = rows(&out);
    assert_eq!(data.len(), 20011);
    let iso2 = |v: &str| v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase());
    let mut households: HashMap<String, (String, String, String, String, usize)> = HashMap::new();
    let mut multipliers: HashMap<(String, String, usize), f64> = HashMap::new();
    let mut psu_ids: HashMap<String, (String, String)> = HashMap::new();
    let mut strata = HashSet::new();
    for r in &data {
        assert!(districts.contains(&r["district"]), "district {} in the hierarchy", r["district"]);
        let year = num(r, "year").unwrap();
        assert!(year == 2023.0 || year == 2024.0);
        strata.insert(r["stratum"].clone());
        let age = num(r, "age").unwrap();
        assert!((0.0..=95.0).contains(&age));
        assert!(matches!(num(r, "sex"), Some(1.0) | Some(2.0)));
        for c in ["cob", "citizenship", "cob_father", "cob_mother"] {
            assert!(iso2(&r[c]), "{c} = '{}'", r[c]);
        }
        let own = if r["district"].starts_with("ITC4C") { "IT" } else { &r["district"][..2] };
        assert_eq!(r["years_res"].is_empty(), r["cob"] == own, "years_res empty exactly for the native-born");
        let ilo = num(r, "ilo");
        assert_eq!(ilo.is_some(), age >= 15.0);
        assert_eq!(num(r, "isced").is_some(), age >= 15.0);
        assert_eq!(num(r, "educ4w").is_some(), age >= 15.0);
        assert_eq!(num(r, "health").is_some(), age >= 16.0);
        if let Some(i) = ilo {
            assert!((1.0..=3.0).contains(&i));
            assert!((0.0..=8.0).contains(&num(r, "isced").unwrap()));
        }
        assert_eq!(num(r, "unemp_months").is_some(), ilo == Some(2.0));
        let employed = ilo == Some(1.0);
        for c in ["stapro", "ftpt", "isco"] {
            assert_eq!(num(r, c).is_some(), employed, "{c} only for the employed");
        }
        if employed {
            assert!((1.0..=3.0).contains(&num(r, "stapro").unwrap()));
            assert!((0.0..=9.0).contains(&num(r, "isco").unwrap()));
            assert_eq!(num(r, "temp").is_some(), num(r, "stapro") == Some(1.0));
        }
        if let Some(hl) = num(r, "health") {
            assert!((1.0..=5.0).contains(&hl));
        }
        assert!(matches!(num(r, "tenure"), Some(1.0) | Some(2.0)));
        assert!(num(r, "rooms").unwrap() >= 1.0);
        let weight = num(r, "weight").unwrap();
        assert!(weight >= 1.0);

        let key = (
            r["district"].clone(),
            r["eq_income"].clone(),
            r["hh_size"].clone(),
            format!("{}/{}/{}", r["stratum"], r["psu"], r["weight"]),
            0,
        );
        let e = households.entry(r["hh_id"].clone()).or_insert(key.clone());
        assert_eq!((&e.0, &e.1, &e.2, &e.3), (&key.0, &key.1, &key.2, &key.3), "household {}", r["hh_id"]);
        e.4 += 1;
        let psu = (r["stratum"].clone(), r["psu"].clone());
        assert_eq!(psu_ids.entry(r["psu_id"].clone()).or_insert(psu.clone()), &psu);
        for rep in 1..=5 {
            let m = num(r, &format!("rep_{rep}")).unwrap() / weight;
            let e = multipliers.entry((psu.0.clone(), psu.1.clone(), rep)).or_insert(m);
            assert!((*e - m).abs() < 1e-9, "replicate multiplier constant within the PSU");
        }
    }
    assert_eq!(strata.len(), 2 * 4 * 3, "strata are district × year");
    for (id, h) in &households {
        assert_eq!(h.2.parse::<usize>().unwrap(), h.4, "hh_size of household {id} = its members");
    }
}

#[test]
fn gaps_go_in_the_documented_direction() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.csv");
    run_ok(&["synth", "--persons", "200000", "--areas", "DE212,AT130,ES300", "--kind", "both", "--out", p(&out)]);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (c_w, c_age, c_ilo, c_cob, c_f, c_m) =
        (col("weight"), col("age"), col("ilo"), col("cob"), col("cob_father"), col("cob_mother"));
    let (c_d, c_isced, c_isco, c_ten) = (col("district"), col("isced"), col("isco"), col("tenure"));
    // [native, second generation, non-EU-born]: (employed, 20–64), (overqualified, tertiary employed), (tenant, all)
    let mut emp = [(0.0, 0.0); 3];
    let mut overq = [(0.0, 0.0); 3];
    let mut tenant = [(0.0, 0.0); 3];
    for rec in reader.records() {
        let r = rec.unwrap();
        let own = &r[c_d][..2];
        let group = if r[c_cob] != *own {
            if urbis_synth::is_eu27(&r[c_cob]) {
                continue;
            }
            2
        } else if r[c_f] != *own || r[c_m] != *own {
            1
        } else {
            0
        };
        let w: f64 = r[c_w].parse().unwrap();
        let age: u32 = r[c_age].parse().unwrap();
        tenant[group].1 += w;
        if &r[c_ten] == "2" {
            tenant[group].0 += w;
        }
        if (20..65).contains(&age) {
            emp[group].1 += w;
            if &r[c_ilo] == "1" {
                emp[group].0 += w;
                if r[c_isced].parse::<u32>().unwrap() >= 5 {
                    overq[group].1 += w;
                    if r[c_isco].parse::<u32>().unwrap() >= 4 {
                        overq[group].0 += w;
                    }
                }
            }
        }
    }
    let rate = |a: [(f64, f64); 3]| a.map(|(n, d)| n / d);
    let (e, o, t) = (rate(emp), rate(overq), rate(tenant));
    assert!((0.72..0.84).contains(&e[0]), "native employment rate 20-64 {e:?}");
    assert!((0.54..0.70).contains(&e[2]), "non-EU-born employment rate 20-64 {e:?}");
    assert!(e[2] < e[1] && e[1] < e[0], "employment: non-EU-born < second generation < natives {e:?}");
    assert!(o[2] > o[0] + 0.1, "over-qualification {o:?}");
    assert!(t[2] > t[0] + 0.1, "tenants {t:?}");
}

#[test]
fn kinds_choose_columns() {
    let dir = tempfile::tempdir().unwrap();
    let header = |kind: &str| {
        let out = dir.path().join(format!("{kind}.csv"));
        run_ok(&["synth", "--persons", "2000", "--areas", "PL911", "--kind", kind, "--out", p(&out)]);
        std::fs::read_to_string(&out).unwrap().lines().next().unwrap().to_string()
    };
    let both = header("both");
    assert_eq!(
        both,
        "year,district,hh_id,person_id,stratum,psu,psu_id,weight,sex,age,cob,citizenship,cob_father,cob_mother,\
         years_res,ilo,unemp_months,stapro,temp,ftpt,isced,isco,educ4w,eq_income,tenure,rooms,hh_size,health"
    );
    assert!(!header("lfs").contains("eq_income") && header("lfs").contains("isco"));
    assert!(!header("silc").contains("isco") && header("silc").contains("eq_income"));
}

/// Bad arguments: exit code, a message, nothing written.
#[test]
fn bad_arguments_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.parquet");
    let hier = dir.path().join("h.csv");
    let cases: &[(&[&str], i32, &str)] = &[
        (&["--persons", "5000", "--areas", "IT_C4"], 1, "area code 'IT_C4' is not a NUTS 3 code"),
        (&["--persons", "5000", "--areas", "DE212,DE212"], 1, "given twice"),
        (&["--persons", "100", "--areas", "DE212"], 1, "too few"),
        (&["--persons", "5000", "--areas", "DE212", "--years", "2025-2023"], 1, "bad years"),
        (&["--persons", "5000", "--areas", "DE212", "--districts", "0"], 1, "districts"),
        (&["--persons", "5000", "--areas", "DE212", "--areas-file", "/nonexistent/areas.txt"], 1, "cannot read"),
        (&["--persons", "5000"], 1, "no areas"),
        (&["--persons", "lots", "--areas", "DE212"], 2, "not a number"),
        (&["--persons", "5000", "--areas", "DE212", "--kind", "census"], 2, "census"),
        (&["--persons", "5000", "--areas", "DE212", "--year", "2020", "--years", "2020-2021"], 2, "cannot be used"),
    ];
    for (args, code, message) in cases {
        let mut a = vec!["synth"];
        a.extend_from_slice(args);
        a.extend(["--out", p(&out), "--hierarchy-out", p(&hier)]);
        let run = urbis(&a);
        assert_eq!(run.status, *code, "{a:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{a:?}: expected '{message}' in {}", run.stderr);
        assert!(!run.stderr.contains("panicked"));
        assert!(!out.exists() && !hier.exists(), "nothing written for {a:?}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no temporary files left for {a:?}");
    }
    let run = urbis(&["synth", "--persons", "5000", "--areas", "DE212", "--out", "/nonexistent/dir/s.parquet"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("cannot write in /nonexistent/dir"), "{}", run.stderr);
}
