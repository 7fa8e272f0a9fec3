//! Areas (cities, NUTS 3 regions), their districts, and the country and city
//! parameters that shape the synthetic population: size, share of
//! foreign-born people, origin mix, income level, home ownership and how wide
//! the migrant–native gaps are.

use crate::rng::{hash_str, Rng};
use crate::SynthError;

/// ISO 3166-1 alpha-2 codes of the 27 EU member states (2024).
pub const EU27: [&str; 27] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
    "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

/// Whether an ISO 3166 alpha-2 country code is an EU-27 member state.
pub fn is_eu27(iso2: &str) -> bool {
    EU27.contains(&iso2)
}

/// The ISO 3166 alpha-2 code of a NUTS country prefix (NUTS uses EL for
/// Greece and UK for the United Kingdom).
pub fn nuts_to_iso(nuts_country: &str) -> String {
    match nuts_country {
        "EL" => "GR".into(),
        "UK" => "GB".into(),
        c => c.into(),
    }
}

/// Country-level parameters.
pub(crate) struct CountryParams {
    /// Median equivalised disposable income, national currency per year.
    pub median_income: f64,
    /// Share of households owning their home in large cities.
    pub owner_rate: f64,
    /// Naturalisation propensity of long-resident foreign-born people (0–1).
    pub naturalisation: f64,
    /// Share of native-born children of immigrants holding a foreign citizenship.
    pub second_gen_foreign_citizens: f64,
    /// Households of second-generation reference persons per foreign-born household.
    pub second_gen_ratio: f64,
    /// Shift of the unemployment logit (national labour market).
    pub unemployment_shift: f64,
    /// Multiplier of the temporary-contract rate.
    pub temp_factor: f64,
    /// Women's part-time rate.
    pub women_part_time: f64,
    /// Shift of the low-education threshold (older cohorts left school early).
    pub low_education_shift: f64,
    /// Origin mix of EU-born and non-EU-born residents: (ISO2, weight).
    pub eu_mix: &'static [(&'static str, f64)],
    pub non_eu_mix: &'static [(&'static str, f64)],
}

const GENERIC_EU: &[(&str, f64)] = &[
    ("RO", 0.22),
    ("PL", 0.18),
    ("DE", 0.1),
    ("IT", 0.1),
    ("FR", 0.07),
    ("ES", 0.06),
    ("PT", 0.06),
    ("BG", 0.08),
    ("HU", 0.05),
    ("HR", 0.05),
    ("GR", 0.03),
];
const GENERIC_NON_EU: &[(&str, f64)] = &[
    ("TR", 0.14),
    ("SY", 0.1),
    ("UA", 0.14),
    ("MA", 0.08),
    ("IN", 0.07),
    ("CN", 0.06),
    ("RU", 0.06),
    ("AF", 0.05),
    ("IQ", 0.05),
    ("NG", 0.04),
    ("US", 0.04),
    ("GB", 0.05),
    ("BR", 0.04),
    ("RS", 0.04),
    ("BA", 0.04),
];

pub(crate) fn country_params(nuts_country: &str) -> CountryParams {
    let generic = CountryParams {
        median_income: 22_000.0,
        owner_rate: 0.45,
        naturalisation: 0.5,
        second_gen_foreign_citizens: 0.2,
        second_gen_ratio: 0.35,
        unemployment_shift: 0.0,
        temp_factor: 1.0,
        women_part_time: 0.3,
        low_education_shift: 0.0,
        eu_mix: GENERIC_EU,
        non_eu_mix: GENERIC_NON_EU,
    };
    match nuts_country {
        "DE" => CountryParams {
            median_income: 27_000.0,
            owner_rate: 0.25,
            naturalisation: 0.45,
            second_gen_foreign_citizens: 0.3,
            second_gen_ratio: 0.4,
            unemployment_shift: -0.15,
            women_part_time: 0.47,
            eu_mix: &[
                ("PL", 0.25),
                ("RO", 0.2),
                ("IT", 0.12),
                ("HR", 0.1),
                ("GR", 0.08),
                ("BG", 0.08),
                ("HU", 0.05),
                ("AT", 0.05),
                ("FR", 0.04),
                ("ES", 0.03),
            ],
            non_eu_mix: &[
                ("TR", 0.22),
                ("SY", 0.14),
                ("UA", 0.12),
                ("RU", 0.08),
                ("KZ", 0.07),
                ("AF", 0.05),
                ("RS", 0.05),
                ("BA", 0.05),
                ("IQ", 0.05),
                ("IN", 0.04),
                ("IR", 0.03),
                ("CN", 0.03),
                ("US", 0.03),
                ("VN", 0.02),
                ("MA", 0.02),
            ],
            ..generic
        },
        "AT" => CountryParams {
            median_income: 29_000.0,
            owner_rate: 0.2,
            naturalisation: 0.35,
            second_gen_foreign_citizens: 0.35,
            second_gen_ratio: 0.35,
            unemployment_shift: 0.2,
            women_part_time: 0.5,
            eu_mix: &[
                ("DE", 0.35),
                ("RO", 0.15),
                ("HU", 0.12),
                ("PL", 0.1),
                ("HR", 0.08),
                ("SK", 0.07),
                ("BG", 0.05),
                ("IT", 0.04),
                ("SI", 0.04),
            ],
            non_eu_mix: &[
                ("RS", 0.2),
                ("TR", 0.17),
                ("BA", 0.15),
                ("SY", 0.12),
                ("UA", 0.08),
                ("AF", 0.08),
                ("MK", 0.05),
                ("RU", 0.05),
                ("IR", 0.04),
                ("IN", 0.03),
                ("CN", 0.03),
            ],
            ..generic
        },
        "FR" => CountryParams {
            median_income: 24_500.0,
            owner_rate: 0.33,
            naturalisation: 0.65,
            second_gen_foreign_citizens: 0.05,
            second_gen_ratio: 0.7,
            unemployment_shift: 0.45,
            temp_factor: 1.3,
            women_part_time: 0.27,
            eu_mix: &[
                ("PT", 0.35),
                ("IT", 0.15),
                ("ES", 0.15),
                ("RO", 0.1),
                ("BE", 0.08),
                ("DE", 0.07),
                ("PL", 0.05),
                ("NL", 0.03),
            ],
            non_eu_mix: &[
                ("DZ", 0.25),
                ("MA", 0.22),
                ("TN", 0.09),
                ("TR", 0.05),
                ("CN", 0.05),
                ("SN", 0.04),
                ("CI", 0.03),
                ("ML", 0.03),
                ("VN", 0.03),
                ("GB", 0.03),
                ("CM", 0.03),
                ("HT", 0.02),
                ("US", 0.02),
                ("UA", 0.03),
            ],
            ..generic
        },
        "ES" => CountryParams {
            median_income: 18_500.0,
            owner_rate: 0.7,
            naturalisation: 0.45,
            second_gen_foreign_citizens: 0.15,
            second_gen_ratio: 0.12,
            unemployment_shift: 0.95,
            temp_factor: 1.8,
            women_part_time: 0.22,
            low_education_shift: 0.45,
            eu_mix: &[("RO", 0.4), ("IT", 0.15), ("BG", 0.1), ("FR", 0.1), ("DE", 0.08), ("PT", 0.07), ("PL", 0.05)],
            non_eu_mix: &[
                ("MA", 0.2),
                ("CO", 0.15),
                ("VE", 0.12),
                ("EC", 0.08),
                ("PE", 0.08),
                ("AR", 0.06),
                ("CN", 0.05),
                ("UA", 0.05),
                ("HN", 0.05),
                ("BO", 0.04),
                ("DO", 0.04),
                ("PY", 0.03),
                ("GB", 0.05),
            ],
        },
        "IT" => CountryParams {
            median_income: 19_500.0,
            owner_rate: 0.68,
            naturalisation: 0.3,
            second_gen_foreign_citizens: 0.45,
            second_gen_ratio: 0.1,
            unemployment_shift: 0.45,
            temp_factor: 1.3,
            women_part_time: 0.3,
            low_education_shift: 0.55,
            eu_mix: &[("RO", 0.55), ("PL", 0.1), ("BG", 0.05), ("DE", 0.06), ("FR", 0.06), ("ES", 0.05), ("HR", 0.03)],
            non_eu_mix: &[
                ("AL", 0.15),
                ("MA", 0.13),
                ("CN", 0.09),
                ("UA", 0.08),
                ("PH", 0.07),
                ("IN", 0.06),
                ("BD", 0.06),
                ("EG", 0.06),
                ("PE", 0.05),
                ("LK", 0.05),
                ("MD", 0.05),
                ("EC", 0.04),
                ("SN", 0.04),
                ("PK", 0.04),
                ("NG", 0.03),
            ],
        },
        "NL" => CountryParams {
            median_income: 30_000.0,
            owner_rate: 0.3,
            naturalisation: 0.55,
            second_gen_ratio: 0.6,
            unemployment_shift: -0.2,
            women_part_time: 0.6,
            ..generic
        },
        "BE" => CountryParams {
            median_income: 27_000.0,
            owner_rate: 0.38,
            naturalisation: 0.55,
            second_gen_ratio: 0.55,
            unemployment_shift: 0.6,
            women_part_time: 0.38,
            ..generic
        },
        "SE" => CountryParams {
            median_income: 290_000.0,
            owner_rate: 0.5,
            naturalisation: 0.75,
            second_gen_ratio: 0.5,
            unemployment_shift: 0.3,
            ..generic
        },
        "PL" => CountryParams {
            median_income: 52_000.0,
            owner_rate: 0.75,
            naturalisation: 0.15,
            second_gen_ratio: 0.1,
            unemployment_shift: -0.4,
            women_part_time: 0.08,
            ..generic
        },
        "PT" => CountryParams {
            median_income: 12_000.0,
            owner_rate: 0.65,
            naturalisation: 0.55,
            second_gen_ratio: 0.2,
            unemployment_shift: 0.3,
            temp_factor: 1.5,
            women_part_time: 0.1,
            low_education_shift: 0.6,
            ..generic
        },
        "IE" => CountryParams { median_income: 29_000.0, owner_rate: 0.55, second_gen_ratio: 0.2, ..generic },
        "DK" => CountryParams { median_income: 280_000.0, owner_rate: 0.35, second_gen_ratio: 0.4, ..generic },
        "CZ" => CountryParams { median_income: 290_000.0, owner_rate: 0.6, second_gen_ratio: 0.15, ..generic },
        "HU" => CountryParams { median_income: 3_300_000.0, owner_rate: 0.8, second_gen_ratio: 0.1, ..generic },
        _ => generic,
    }
}

/// Known cities: NUTS 3 code, population, foreign-born share, EU share among
/// the foreign-born, width of the migrant–native gaps (1 = typical).
const CITIES: &[(&str, f64, f64, f64, f64)] = &[
    ("DE212", 1_510_000.0, 0.30, 0.45, 0.85), // München
    ("DE300", 3_750_000.0, 0.24, 0.35, 1.15), // Berlin
    ("DE600", 1_900_000.0, 0.24, 0.35, 1.0),  // Hamburg
    ("DEA23", 1_090_000.0, 0.25, 0.35, 1.05), // Köln
    ("DE712", 770_000.0, 0.37, 0.42, 0.95),   // Frankfurt am Main
    ("AT130", 2_000_000.0, 0.37, 0.40, 1.1),  // Wien
    ("FR101", 2_100_000.0, 0.20, 0.25, 1.0),  // Paris
    ("ES300", 6_900_000.0, 0.22, 0.20, 0.9),  // Madrid
    ("ES511", 5_700_000.0, 0.22, 0.20, 0.95), // Barcelona
    ("ITC4C", 3_250_000.0, 0.15, 0.25, 0.9),  // Milano
    ("ITI43", 4_200_000.0, 0.13, 0.35, 0.95), // Roma
    ("NL329", 1_200_000.0, 0.30, 0.25, 1.1),  // Groot-Amsterdam
    ("BE100", 1_230_000.0, 0.46, 0.45, 1.25), // Bruxelles / Brussel
    ("SE110", 2_450_000.0, 0.26, 0.20, 1.3),  // Stockholms län
    ("PL911", 1_860_000.0, 0.05, 0.20, 0.8),  // Warszawa
    ("PT170", 2_900_000.0, 0.18, 0.15, 0.8),  // Área Metropolitana de Lisboa
    ("IE061", 1_460_000.0, 0.27, 0.45, 0.8),  // Dublin
    ("DK011", 660_000.0, 0.22, 0.35, 1.2),    // Byen København
    ("CZ010", 1_380_000.0, 0.15, 0.30, 0.8),  // Praha
    ("HU110", 1_680_000.0, 0.05, 0.45, 0.7),  // Budapest
];

/// One area with its derived parameters.
pub(crate) struct Area {
    pub code: String,
    /// ISO 3166 alpha-2 code of the area's country (for `cob`, `citizenship`).
    pub iso: String,
    pub population: f64,
    pub foreign_share: f64,
    pub eu_share: f64,
    pub gap: f64,
    pub country: CountryParams,
    /// Districts: population share, migrant concentration, socio-economic level.
    pub districts: Vec<District>,
}

pub(crate) struct District {
    pub code: String,
    pub population_share: f64,
    /// Multiplier of the area's migrant household shares.
    pub migrant_factor: f64,
    /// Socio-economic level, a shift on the log-income and education scales.
    pub ses: f64,
}

/// Checks and normalises an area code: two letters then three letters or digits (a NUTS 3 code).
pub fn normalise_area_code(code: &str) -> Result<String, SynthError> {
    let c = code.trim().to_ascii_uppercase();
    let ok = c.len() == 5
        && c.bytes().take(2).all(|b| b.is_ascii_uppercase())
        && c.bytes().skip(2).all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(c)
    } else {
        Err(SynthError::BadArea(code.to_string()))
    }
}

impl Area {
    pub fn new(code: &str, n_districts: usize, seed: u64) -> Area {
        let h = hash_str(code);
        let mut rng = Rng::new(seed, &[0xA4EA, h]);
        let known = CITIES.iter().find(|c| c.0 == code);
        let (population, foreign_share, eu_share, gap) = match known {
            Some(&(_, p, f, e, g)) => (p, f, e, g),
            None => (
                (300_000.0 + 1_700_000.0 * rng.uniform()).round(),
                0.1 + 0.2 * rng.uniform(),
                0.3 + 0.2 * rng.uniform(),
                0.75 + 0.5 * rng.uniform(),
            ),
        };
        let nuts_country = &code[..2];
        let mut raw: Vec<(f64, f64, f64)> = (0..n_districts)
            .map(|_| {
                let share = (0.3 * rng.normal()).exp();
                let migrant = (0.4 * rng.normal()).exp();
                // Districts with many migrants tend to be poorer.
                let ses = 0.25 * rng.normal() - 0.2 * migrant.ln();
                (share, migrant, ses)
            })
            .collect();
        let total: f64 = raw.iter().map(|r| r.0).sum();
        // Population-weighted mean migrant factor is one, so the area share holds.
        let mean_migrant: f64 = raw.iter().map(|r| r.0 * r.1).sum::<f64>() / total;
        for r in &mut raw {
            r.0 /= total;
            r.1 /= mean_migrant;
        }
        let districts = raw
            .into_iter()
            .enumerate()
            .map(|(d, (population_share, migrant_factor, ses))| District {
                code: format!("{code}_D{:02}", d + 1),
                population_share,
                migrant_factor,
                ses,
            })
            .collect();
        Area {
            code: code.to_string(),
            iso: nuts_to_iso(nuts_country),
            population,
            foreign_share,
            eu_share,
            gap,
            country: country_params(nuts_country),
            districts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked() {
        assert_eq!(normalise_area_code(" de212 ").unwrap(), "DE212");
        assert_eq!(normalise_area_code("ITC4C").unwrap(), "ITC4C");
        for bad in ["DE21", "DE2123", "1E212", "IT_C4", "", "DE-12"] {
            assert!(normalise_area_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn districts_partition_the_area() {
        let a = Area::new("AT130", 6, 1);
        assert_eq!(a.districts.len(), 6);
        assert_eq!(a.districts[5].code, "AT130_D06");
        let s: f64 = a.districts.iter().map(|d| d.population_share).sum();
        assert!((s - 1.0).abs() < 1e-12);
        let m: f64 = a.districts.iter().map(|d| d.population_share * d.migrant_factor).sum();
        assert!((m - 1.0).abs() < 1e-12);
        assert_eq!(Area::new("EL303", 2, 1).iso, "GR");
        assert!(is_eu27("GR") && is_eu27("RO") && !is_eu27("TR") && !is_eu27("GB"));
    }
}
