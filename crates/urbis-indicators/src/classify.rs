//! Built-in classifications: EU member states (EU27_2020), ISO 3166 country
//! codes, ISCED 2011 and ISCO-08 groupings, and Eurostat's migrant group codes.

/// The 27 member states of the EU since 1 February 2020 (ISO 3166 alpha-2;
/// Eurostat writes Greece as `EL`, accepted too).
pub const EU27_2020: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

pub fn is_eu27(code: &str) -> bool {
    let code = if code == "EL" { "GR" } else { code };
    EU27_2020.contains(&code)
}

/// Two upper-case ASCII letters: the shape of an ISO 3166 alpha-2 code.
pub fn looks_like_iso2(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// Eurostat codes of the origin groups (by country of birth or citizenship).
pub const NAT: &str = "NAT";
pub const FOR: &str = "FOR";
pub const EU_FOR: &str = "EU27_2020_FOR";
pub const NEU_FOR: &str = "NEU27_2020_FOR";
pub const TOTAL: &str = "TOTAL";
pub const UNKNOWN: &str = "UNK";

/// The origin group of a country code relative to the reporting country:
/// the reporting country itself is `NAT`, an EU member `EU27_2020_FOR`,
/// any other country `NEU27_2020_FOR`. Group codes pass through unchanged.
pub fn origin_group(code: &str, reporting_country: &str) -> Option<&'static str> {
    match code {
        NAT => Some(NAT),
        EU_FOR => Some(EU_FOR),
        NEU_FOR => Some(NEU_FOR),
        FOR => Some(FOR),
        c if c == reporting_country
            || (c == "EL" && reporting_country == "GR")
            || (c == "GR" && reporting_country == "EL") =>
        {
            Some(NAT)
        }
        c if looks_like_iso2(c) && is_eu27(c) => Some(EU_FOR),
        c if looks_like_iso2(c) => Some(NEU_FOR),
        _ => None,
    }
}

/// ISCED 2011 attainment groupings used by Eurostat.
pub fn isced_group(level: f64) -> &'static str {
    match level as i64 {
        0..=2 => "ED0-2",
        3..=4 => "ED3_4",
        _ => "ED5-8",
    }
}

/// ISCO-08 major groups 4–9: the occupations that count as below tertiary
/// level for the over-qualification rate.
pub fn isco_below_tertiary(major_group: f64) -> bool {
    (4.0..=9.0).contains(&major_group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_groups() {
        assert_eq!(origin_group("AT", "AT"), Some(NAT));
        assert_eq!(origin_group("DE", "AT"), Some(EU_FOR));
        assert_eq!(origin_group("EL", "AT"), Some(EU_FOR));
        assert_eq!(origin_group("TR", "AT"), Some(NEU_FOR));
        assert_eq!(origin_group("Other", "AT"), None);
        assert_eq!(origin_group("NEU27_2020_FOR", "AT"), Some(NEU_FOR));
    }

    #[test]
    fn groupings() {
        assert_eq!(isced_group(2.0), "ED0-2");
        assert_eq!(isced_group(6.0), "ED5-8");
        assert!(isco_below_tertiary(4.0) && !isco_below_tertiary(3.0));
    }
}
