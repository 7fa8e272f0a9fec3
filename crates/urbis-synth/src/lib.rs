//! Deterministic synthetic person microdata shaped like the EU Labour Force
//! Survey (LFS) and EU-SILC, for testing, examples and benchmarks of a
//! migrant-integration indicator pipeline.
//!
//! A run generates `persons` people living in households in the districts of
//! one or more cities (NUTS 3 areas), for one year or a range of years, as a
//! stratified cluster sample: strata are districts (district × year when there
//! are several years), PSUs are clusters of about eight households, and every
//! household carries a design weight. The population model builds in the
//! gaps an integration monitor looks for — foreign-born people, above all
//! those born outside the EU and recent arrivals, have lower employment,
//! higher unemployment, more over-qualification, lower incomes, more poverty,
//! fewer home owners and more overcrowding; the second generation lies in
//! between; gaps vary between areas and districts.
//!
//! Output is written in chunks (a Parquet row group per chunk of about a
//! million persons), so memory stays bounded whatever the number of persons.
//! It depends only on the [`Config`]: the same seed gives the same bytes
//! whatever the number of threads (on one platform: the model uses the
//! platform's `exp`, `ln` and `sin_cos`).
//!
//! ```
//! use urbis_synth::{Config, Format, Generator};
//!
//! let config = Config { persons: 5_000, areas: vec!["AT130".into(), "DE212".into()], ..Config::default() };
//! let generator = Generator::new(config).unwrap();
//! let mut csv = Vec::new();
//! let summary = generator.write(Format::Csv, &mut csv, None).unwrap();
//! assert_eq!(summary.persons, 5_000);
//! let text = String::from_utf8(csv).unwrap();
//! assert!(text.starts_with("year,district,hh_id,person_id,stratum,psu,psu_id,weight,sex,age,cob,"));
//! assert_eq!(text.lines().count(), 5_001);
//! assert!(generator.hierarchy_csv().contains("AT130_D01,AT130,AT130,AT13,AT,DEG1"));
//! ```
//!
//! # Columns
//!
//! Codes follow the LFS/SILC conventions; an empty value (Parquet null) is
//! "not applicable".
//!
//! | column | meaning and codes | kind |
//! | --- | --- | --- |
//! | `year` | survey year | all |
//! | `district` | district code `<AREA>_D01`, `<AREA>_D02`, … | all |
//! | `hh_id` | household id, unique in the file | all |
//! | `person_id` | `hh_id` × 100 + member number (1–6) | all |
//! | `stratum` | stratum number 1, 2, … (district, or district × year) | all |
//! | `psu` | PSU number within the stratum, 1, 2, … | all |
//! | `psu_id` | PSU id, unique in the file | all |
//! | `weight` | design weight (same for all members of a household; multiple of 0.01) | all |
//! | `sex` | 1 male, 2 female | all |
//! | `age` | age in completed years, 0–95 | all |
//! | `cob` | country of birth, ISO 3166 alpha-2 (the area's own country for the native-born) | all |
//! | `citizenship` | citizenship, ISO 3166 alpha-2 | all |
//! | `cob_father`, `cob_mother` | parents' countries of birth, ISO 3166 alpha-2 | all |
//! | `years_res` | years of residence in the country, 0–age; empty for the native-born | all |
//! | `ilo` | ILO status: 1 employed, 2 unemployed, 3 inactive; empty under 15 | all |
//! | `unemp_months` | duration of unemployment in months, 1–120; empty unless `ilo` = 2 | lfs |
//! | `stapro` | 1 employee, 2 self-employed, 3 contributing family worker; employed only | lfs |
//! | `temp` | 1 temporary contract, 0 permanent; employees only | lfs |
//! | `ftpt` | 1 full-time, 2 part-time; employed only | lfs |
//! | `isced` | highest level of education attained, ISCED 2011 0–8; empty under 15 | all |
//! | `isco` | occupation, ISCO-08 major group 1–9, 0 armed forces; employed only | lfs |
//! | `educ4w` | 1 in education or training in the last four weeks, 0 not; 15 and over | lfs |
//! | `eq_income` | equivalised disposable household income, national currency per year, whole units, same for all members | silc |
//! | `tenure` | 1 owner, 2 tenant (household) | silc |
//! | `rooms` | number of rooms of the dwelling (household) | silc |
//! | `hh_size` | number of household members (rows with this `hh_id`) | all |
//! | `health` | self-perceived health: 1 very good, 2 good, 3 fair, 4 bad, 5 very bad; 16 and over | silc |
//! | `rep_1` … `rep_R` | bootstrap replicate weights (full weights) | all, with `replicates` |
//!
//! [`Kind::Lfs`] writes the "all" and "lfs" columns, [`Kind::Silc`] the "all"
//! and "silc" columns, [`Kind::Both`] (the default) every column. The values
//! of a column do not depend on the kind.
//!
//! Derived groups: *native* — born in the country with both parents born
//! there; *second generation* — born in the country with at least one parent
//! born abroad; *EU-born* and *non-EU-born* — born abroad in an EU-27 member
//! state or elsewhere ([`is_eu27`]). "Recent" arrivals have `years_res` < 5.
//!
//! # Design
//!
//! The persons are split equally between years and between areas, and
//! between an area's districts in proportion to the square root of the
//! district's population share, so design weights differ between strata.
//! Within a stratum, PSUs of 5–12 households (8 on average) are drawn until
//! the stratum's persons are reached; each household's weight is the
//! stratum's population over its sample size, times lognormal noise (and a
//! non-response adjustment for migrant households).
//!
//! Replicate weights follow the Rao–Wu rescaled bootstrap: in each replicate
//! and stratum, n_h − 1 PSUs are drawn with replacement from the n_h PSUs, and
//! `rep_r` = `weight` × count × n_h / (n_h − 1), constant within a PSU (use
//! them with `--reptype bootstrap`).
//!
//! # Gaps built in
//!
//! Weighted, over seven large cities with the default seed (the spread
//! between cities in brackets): employment rate 20–64 of natives ≈ 77 %
//! (74–82), EU-born ≈ 73 %, second generation ≈ 69 %, non-EU-born ≈ 62 %
//! (60–70, lower for women and recent arrivals); unemployment rate of the
//! non-EU-born about twice the natives' (München 4 % vs 8 %, Madrid 12 % vs
//! 23 %); over-qualification (ISCED 5–8 employed in ISCO 4–9) ≈ 17 % vs 43–57 %;
//! at-risk-of-poverty rate (60 % of the area's median) ≈ 12–16 % vs 34–43 %;
//! tenants and overcrowding much more frequent in non-EU-born households.
//! Area parameters (population, foreign-born share, origin mix, gap width)
//! are built in for about twenty large cities (e.g. DE212 München, AT130 Wien,
//! FR101 Paris, ES300 Madrid, ITC4C Milano); other codes get parameters drawn
//! from the code and the seed.

mod area;
mod model;
mod plan;
pub mod rng;
#[cfg(test)]
mod tests;
mod write;

use std::io::Write;
use std::sync::Arc;

use rayon::prelude::*;

pub use area::{is_eu27, normalise_area_code, nuts_to_iso, EU27};

use area::Area;
use model::{Model, PsuContext, Rows};
use plan::{apportion, Stratum, StratumPlan};

/// Errors: bad configuration, or failure to write the output.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("area code '{0}' is not a NUTS 3 code (two letters then three letters or digits, e.g. DE212)")]
    BadArea(String),
    #[error("area '{0}' is given twice")]
    DuplicateArea(String),
    #[error("no areas: give at least one area code")]
    NoAreas,
    #[error("the number of districts must be between 1 and 99, not {0}")]
    Districts(usize),
    #[error("bad years {first}-{last}: years must be between 1950 and 2100, the first not after the last")]
    Years { first: i32, last: i32 },
    #[error("at most 1000 replicates, not {0}")]
    Replicates(usize),
    #[error("{persons} persons are too few for {strata} strata: give at least {needed} (200 per stratum)")]
    TooFewPersons { persons: u64, strata: usize, needed: u64 },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("writing Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("building Arrow arrays: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
}

/// Which survey the columns imitate (see the crate docs for the column table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Kind {
    Lfs,
    Silc,
    #[default]
    Both,
}

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Parquet,
    Csv,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    /// Number of persons (rows).
    pub persons: u64,
    /// Area codes (NUTS 3), e.g. `DE212`; case is ignored.
    pub areas: Vec<String>,
    /// Districts per area (1–99).
    pub districts: usize,
    /// First and last survey year.
    pub years: (i32, i32),
    /// Number of bootstrap replicate weights (0 for none).
    pub replicates: usize,
    pub seed: u64,
    pub kind: Kind,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            persons: 10_000,
            areas: Vec::new(),
            districts: 6,
            years: (2024, 2024),
            replicates: 0,
            seed: 1,
            kind: Kind::Both,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub persons: u64,
    pub households: u64,
    pub psus: u64,
    pub strata: usize,
}

/// Progress callback: persons written so far, and in total.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Persons per unit of parallel work.
const BLOCK_PERSONS: u64 = 16_384;

/// A validated configuration, ready to write.
pub struct Generator {
    config: Config,
    model: Model,
    strata: Vec<Stratum>,
}

/// One unit of work: a run of PSUs of one stratum.
pub(crate) struct Item {
    plan: Arc<StratumPlan>,
    psus: std::ops::Range<usize>,
    first_hh_id: i64,
    first_psu_id: i64,
    persons: u64,
}

/// The rows of one item.
pub(crate) struct Block {
    pub plan: Arc<StratumPlan>,
    pub rows: Rows,
}

impl Generator {
    /// Checks the configuration and sets up areas, districts and strata.
    pub fn new(mut config: Config) -> Result<Generator, SynthError> {
        if config.areas.is_empty() {
            return Err(SynthError::NoAreas);
        }
        let mut codes: Vec<String> = Vec::new();
        for a in &config.areas {
            let c = normalise_area_code(a)?;
            if codes.contains(&c) {
                return Err(SynthError::DuplicateArea(c));
            }
            codes.push(c);
        }
        config.areas = codes;
        if !(1..=99).contains(&config.districts) {
            return Err(SynthError::Districts(config.districts));
        }
        let (first, last) = config.years;
        if first > last || first < 1950 || last > 2100 {
            return Err(SynthError::Years { first, last });
        }
        if config.replicates > 1000 {
            return Err(SynthError::Replicates(config.replicates));
        }
        let n_years = (last - first + 1) as usize;
        let n_strata = n_years * config.areas.len() * config.districts;
        let needed = 200 * n_strata as u64;
        if config.persons < needed {
            return Err(SynthError::TooFewPersons { persons: config.persons, strata: n_strata, needed });
        }
        let areas: Vec<Area> = config.areas.iter().map(|c| Area::new(c, config.districts, config.seed)).collect();
        let mut strata = Vec::with_capacity(n_strata);
        for (y, per_year) in apportion(config.persons, &vec![1.0; n_years]).into_iter().enumerate() {
            let year = first + y as i32;
            for (a, per_area) in apportion(per_year, &vec![1.0; areas.len()]).into_iter().enumerate() {
                let area = &areas[a];
                let shares: Vec<f64> = area.districts.iter().map(|d| d.population_share.sqrt()).collect();
                for (d, persons) in apportion(per_area, &shares).into_iter().enumerate() {
                    let growth = 1.0 + 0.008 * (year - 2024) as f64;
                    let population = area.population * area.districts[d].population_share * growth;
                    strata.push(Stratum { index: strata.len(), year, area: a, district: d, persons, population });
                }
            }
        }
        // Sample allocation by the square root keeps every stratum at 200 × (min share / mean share)^½;
        // make sure no stratum ends up below two PSUs' worth of persons.
        if let Some(s) = strata.iter().find(|s| s.persons < 120) {
            let needed = config.persons * 120 / s.persons.max(1) + 1;
            return Err(SynthError::TooFewPersons { persons: config.persons, strata: n_strata, needed });
        }
        let model = Model::new(areas, config.seed);
        Ok(Generator { config, model, strata })
    }

    /// The validated configuration (area codes upper-cased).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Names of the columns written, in order.
    pub fn column_names(&self) -> Vec<String> {
        write::columns(self.config.kind, self.config.replicates).iter().map(|c| c.name()).collect()
    }

    /// District codes, in output order.
    pub fn districts(&self) -> Vec<String> {
        self.model.areas.iter().flat_map(|a| a.districts.iter().map(|d| d.code.clone())).collect()
    }

    /// The geographic hierarchy as CSV: `district,city,nuts3,nuts2,country,degurba,population`
    /// (`country` is the NUTS country code, e.g. `EL` for Greece; every area is a city, DEG1;
    /// `population` is the district's modelled population in the first year, rounded: synthetic).
    pub fn hierarchy_csv(&self) -> String {
        let mut s = String::from("district,city,nuts3,nuts2,country,degurba,population\n");
        let first = self.strata.first().map(|s| s.year);
        for st in self.strata.iter().filter(|st| Some(st.year) == first) {
            let (a, d) = (&self.model.areas[st.area], &self.model.areas[st.area].districts[st.district]);
            s.push_str(&format!(
                "{},{},{},{},{},DEG1,{:.0}\n",
                d.code,
                a.code,
                a.code,
                &a.code[..4],
                &a.code[..2],
                st.population.round()
            ));
        }
        s
    }

    /// Generates every person and writes them to `out` in `format`.
    pub fn write<W: Write + Send>(
        &self,
        format: Format,
        out: W,
        progress: Option<Progress>,
    ) -> Result<Summary, SynthError> {
        let columns = write::columns(self.config.kind, self.config.replicates);
        let chunk_rows = write::chunk_rows(self.config.replicates);
        match format {
            Format::Parquet => {
                let mut sink = write::ParquetSink::new(out, columns, &self.model, chunk_rows)?;
                let summary = self.run(chunk_rows, &mut sink, progress)?;
                sink.finish()?;
                Ok(summary)
            }
            Format::Csv => {
                let mut sink = write::CsvSink::new(out, columns, &self.model)?;
                let summary = self.run(chunk_rows, &mut sink, progress)?;
                sink.finish()?;
                Ok(summary)
            }
        }
    }

    /// Plans the strata in order, cuts them into items, generates chunks of
    /// items in parallel and hands them to the sink in order; generating the
    /// next chunk overlaps with writing the previous one.
    fn run<S: write::Sink>(
        &self,
        chunk_rows: u64,
        sink: &mut S,
        progress: Option<Progress>,
    ) -> Result<Summary, SynthError> {
        let total = self.config.persons;
        let (mut next_hh, mut next_psu) = (1i64, 1i64);
        let mut done = 0u64;
        let mut pending: Vec<Item> = Vec::new();
        let mut pending_persons = 0u64;
        let mut written: Option<Vec<Block>> = None;
        let mut flush = |items: Vec<Item>, written: &mut Option<Vec<Block>>| -> Result<(), SynthError> {
            let previous = written.take();
            let (result, blocks) = rayon::join(
                || match &previous {
                    Some(blocks) => sink.write(blocks),
                    None => Ok(()),
                },
                || items.into_par_iter().map(|item| self.generate(item)).collect::<Vec<Block>>(),
            );
            result?;
            if let Some(p) = previous {
                done += p.iter().map(|b| b.rows.len() as u64).sum::<u64>();
                if let Some(f) = progress {
                    f(done, total);
                }
            }
            *written = Some(blocks);
            Ok(())
        };
        for stratum in &self.strata {
            let plan = Arc::new(self.model.plan_stratum(stratum.clone(), self.config.replicates));
            let mut start = 0;
            while start < plan.psu_persons.len() {
                let (mut end, mut persons, mut households) = (start, 0u64, 0i64);
                while end < plan.psu_persons.len() && (persons < BLOCK_PERSONS || end == start) {
                    persons += plan.psu_persons[end] as u64;
                    households += plan.psu_households[end] as i64;
                    end += 1;
                }
                pending.push(Item {
                    plan: plan.clone(),
                    psus: start..end,
                    first_hh_id: next_hh,
                    first_psu_id: next_psu,
                    persons,
                });
                next_hh += households;
                next_psu += (end - start) as i64;
                pending_persons += persons;
                start = end;
                if pending_persons >= chunk_rows {
                    flush(std::mem::take(&mut pending), &mut written)?;
                    pending_persons = 0;
                }
            }
        }
        if !pending.is_empty() {
            flush(std::mem::take(&mut pending), &mut written)?;
        }
        flush(Vec::new(), &mut written)?;
        Ok(Summary {
            persons: total,
            households: (next_hh - 1) as u64,
            psus: (next_psu - 1) as u64,
            strata: self.strata.len(),
        })
    }

    fn generate(&self, item: Item) -> Block {
        let plan = &item.plan;
        let s = &plan.stratum;
        let mut rows = Rows::with_capacity(item.persons as usize);
        let mut structure = Vec::new();
        let (mut hh, mut psu_id) = (item.first_hh_id, item.first_psu_id);
        for psu in item.psus.clone() {
            self.model.psu_structure(s.area, s.district, s.index, psu, &mut structure);
            let ctx = PsuContext {
                area: s.area,
                district: s.district,
                stratum: s.index,
                year: s.year,
                psu,
                psu_id,
                first_hh_id: hh,
                persons: plan.psu_persons[psu] as usize,
                base_weight: plan.base_weight,
            };
            self.model.generate_psu(&ctx, &structure, &mut rows);
            hh += plan.psu_households[psu] as i64;
            psu_id += 1;
        }
        debug_assert_eq!(rows.len() as u64, item.persons);
        Block { plan: item.plan, rows }
    }
}
