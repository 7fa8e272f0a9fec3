//! Harmonising concepts: raw national columns and codes become canonical
//! variables with EU codes, and migrant groups are derived from them with
//! Eurostat's group codes. The concept definitions used get stable ids.

use std::collections::{BTreeMap, HashMap, HashSet};

use urbis_core::frame::format_number;
use urbis_core::{Column, Frame, TextColumn, MISSING_CODE};
use urbis_survey::number_codes;

use crate::classify::{origin_group, FOR, NAT, UNKNOWN};

/// What values a canonical variable takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A number, optionally within a range.
    Number { min: f64, max: f64 },
    /// 1 or 0.
    Binary,
    /// One of a fixed set of codes.
    Code(&'static [&'static str]),
    /// ISO 3166 alpha-2 country code, or an origin group code.
    Country,
    /// Free text (identifiers, area codes).
    Text,
}

const ANY: Kind = Kind::Number { min: f64::NEG_INFINITY, max: f64::INFINITY };

/// The canonical variables, their kinds and meaning (docs/config.md lists them).
pub const CANONICAL: &[(&str, Kind, &str)] = &[
    ("sex", Kind::Code(&["M", "F"]), "sex: M male, F female"),
    ("age", Kind::Number { min: 0.0, max: 130.0 }, "age in completed years"),
    ("country_birth", Kind::Country, "country of birth (ISO 3166 alpha-2 or group code)"),
    ("citizenship", Kind::Country, "country of citizenship (ISO 3166 alpha-2 or group code)"),
    ("father_birth", Kind::Country, "father's country of birth"),
    ("mother_birth", Kind::Country, "mother's country of birth"),
    ("years_residence", Kind::Number { min: 0.0, max: 130.0 }, "years of residence in the country"),
    ("labour_status", Kind::Code(&["employed", "unemployed", "inactive"]), "ILO labour status"),
    ("unemployment_months", Kind::Number { min: 0.0, max: 1200.0 }, "duration of unemployment in months"),
    (
        "status_in_employment",
        Kind::Code(&["employee", "self_employed", "family_worker"]),
        "professional status of the employed",
    ),
    ("temporary", Kind::Binary, "1 temporary contract, 0 permanent (employees)"),
    ("part_time", Kind::Binary, "1 part-time, 0 full-time (employed)"),
    ("education", Kind::Number { min: 0.0, max: 8.0 }, "highest level attained, ISCED 2011 (0–8)"),
    ("occupation", Kind::Number { min: 0.0, max: 9.0 }, "ISCO-08 major group (0–9)"),
    ("training", Kind::Binary, "1 in education or training in the last 4 weeks"),
    ("income", ANY, "equivalised disposable income"),
    ("tenure", Kind::Code(&["owner", "tenant"]), "housing tenure"),
    ("rooms", Kind::Number { min: 0.0, max: 1000.0 }, "rooms of the dwelling"),
    ("household_size", Kind::Number { min: 1.0, max: 1000.0 }, "persons in the household"),
    ("overcrowded", Kind::Binary, "1 overcrowded dwelling (derived from rooms and household size if absent)"),
    ("health", Kind::Number { min: 1.0, max: 5.0 }, "self-perceived health, 1 very good … 5 very bad"),
    ("household_id", Kind::Text, "household identifier"),
    ("geo", Kind::Text, "area code at the lowest level of the hierarchy"),
];

pub fn kind_of(name: &str) -> Option<Kind> {
    CANONICAL.iter().find(|(n, _, _)| *n == name).map(|(_, k, _)| *k)
}

/// How a raw column becomes a canonical variable.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// Raw code → canonical code (text) or value (number as text).
    pub codes: BTreeMap<String, String>,
    /// Codes no mapping covers become `unknown` (true) or are an error (false).
    pub keep_unknown: bool,
}

/// Codes of a raw column that no mapping covers, with their counts.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownCodes {
    pub variable: String,
    pub column: String,
    pub codes: Vec<(String, usize)>,
}

/// Unmapped codes are shown only when at least this many rows carry them:
/// a code of fewer rows could be a single person's value (a typo, a free
/// text), and microdata values never appear in messages or reports.
pub const SHOWN_CODE_MIN_ROWS: usize = 10;

impl std::fmt::Display for UnknownCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<&(String, usize)> = self.codes.iter().filter(|(_, n)| *n >= SHOWN_CODE_MIN_ROWS).collect();
        let rare: Vec<&(String, usize)> = self.codes.iter().filter(|(_, n)| *n < SHOWN_CODE_MIN_ROWS).collect();
        let mut parts: Vec<String> = shown.iter().take(10).map(|(c, n)| format!("'{c}' ({n} rows)")).collect();
        if shown.len() > 10 {
            parts.push(format!("{} more codes", shown.len() - 10));
        }
        if !rare.is_empty() {
            let rows: usize = rare.iter().map(|(_, n)| n).sum();
            parts.push(format!(
                "{} code{} in fewer than {SHOWN_CODE_MIN_ROWS} rows each ({rows} rows; not shown, as they could identify a person)",
                rare.len(),
                if rare.len() == 1 { "" } else { "s" }
            ));
        }
        write!(f, "{} (column '{}'): no mapping covers {}", self.variable, self.column, parts.join(", "))
    }
}

/// Marker stored for a country code no mapping covers, when kept as unknown.
const UNKNOWN_COUNTRY: &str = "?";

/// Builds one canonical variable from a raw column. Returns the column and
/// the codes no mapping covered (an error for the caller unless kept).
pub fn canonical_column(kind: Kind, raw: &Column, mapping: &Mapping) -> (Column, Vec<(String, usize)>) {
    // Numbers used as they are: no text at all.
    if let (Column::Number(v), true) = (raw, numbers_as_they_are(kind, mapping)) {
        let mut values = v.clone();
        let (unknown, _) = check_numbers(kind, &mut values);
        return (Column::Number(values), unknown);
    }
    // Identifiers held as numbers pass as their text, each a level of its own.
    if let (Kind::Text, Column::Number(_), true) = (kind, raw, mapping.codes.is_empty()) {
        let (codes, levels) = distinct(raw);
        return (Column::Text(TextColumn { codes: codes.into_owned(), levels: levels.into_owned() }), Vec::new());
    }
    // Otherwise every distinct raw value is mapped once.
    let (codes, labels) = distinct(raw);
    let mut counts = vec![0usize; labels.len()];
    for &c in codes.iter() {
        if c != MISSING_CODE {
            counts[c as usize] += 1;
        }
    }
    let mut unknown = Vec::new();
    let outcome: Vec<Option<String>> = labels
        .iter()
        .zip(&counts)
        .map(|(label, &count)| {
            let value = label.trim();
            let mapped = match mapping.codes.get(value) {
                Some(to) => Some(to.clone()),
                // Numbers, texts and country codes not in the mapping pass
                // through (and are validated below); other codes must be mapped.
                None if mapping.codes.is_empty()
                    || matches!(kind, Kind::Number { .. } | Kind::Text | Kind::Country) =>
                {
                    Some(value.to_string())
                }
                None => None,
            };
            let explicitly_unknown = mapped.as_deref() == Some(UNKNOWN);
            let accepted = mapped.and_then(|v| accept(kind, v, mapping.keep_unknown));
            let kept_as_unknown = accepted.as_deref() == Some(UNKNOWN_COUNTRY) && !explicitly_unknown;
            if (accepted.is_none() || kept_as_unknown) && count > 0 {
                unknown.push((value.to_string(), count));
            }
            accepted
        })
        .collect();
    let column = match kind {
        Kind::Number { .. } | Kind::Binary => {
            let numbers: Vec<f64> =
                outcome.iter().map(|o| o.as_deref().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)).collect();
            Column::Number(
                codes.iter().map(|&c| if c == MISSING_CODE { f64::NAN } else { numbers[c as usize] }).collect(),
            )
        }
        _ => {
            // Outcome texts become the levels of the canonical column.
            let mut index: HashMap<&str, u32> = HashMap::new();
            let mut levels: Vec<String> = Vec::new();
            let remap: Vec<u32> = outcome
                .iter()
                .map(|o| match o {
                    None => MISSING_CODE,
                    Some(v) => *index.entry(v.as_str()).or_insert_with(|| {
                        levels.push(v.clone());
                        (levels.len() - 1) as u32
                    }),
                })
                .collect();
            let mut codes = codes.into_owned();
            for c in codes.iter_mut().filter(|c| **c != MISSING_CODE) {
                *c = remap[*c as usize];
            }
            Column::Text(TextColumn { codes, levels })
        }
    };
    (column, sorted_by_count(unknown))
}

/// Builds one canonical variable from a raw column it takes over: numbers
/// used as they are are checked in place, without a copy of the column.
/// Returns the column, the codes no mapping covered and the first row
/// holding one of them (for the message).
pub fn canonical_variable(kind: Kind, raw: Column, mapping: &Mapping) -> (Column, Vec<(String, usize)>, Option<usize>) {
    match raw {
        Column::Number(mut values) if numbers_as_they_are(kind, mapping) => {
            let (unknown, first_row) = check_numbers(kind, &mut values);
            (Column::Number(values), unknown, first_row)
        }
        raw => {
            let (column, unknown) = canonical_column(kind, &raw, mapping);
            let first_row = if unknown.is_empty() {
                None
            } else {
                let codes: HashSet<&str> = unknown.iter().map(|(c, _)| c.as_str()).collect();
                (0..raw.len()).find(|&r| codes.contains(raw.display(r).trim()))
            };
            (column, unknown, first_row)
        }
    }
}

/// A numeric variable without a code mapping takes the raw numbers as they are.
fn numbers_as_they_are(kind: Kind, mapping: &Mapping) -> bool {
    matches!(kind, Kind::Number { .. } | Kind::Binary) && mapping.codes.is_empty()
}

/// Numbers outside the kind's range become missing: returns them as codes
/// with their counts, and the first row holding one.
fn check_numbers(kind: Kind, values: &mut [f64]) -> (Vec<(String, usize)>, Option<usize>) {
    let (lo, hi) = bounds(kind);
    let mut unknown: HashMap<u64, (f64, usize)> = HashMap::new();
    let mut first_row = None;
    for (i, x) in values.iter_mut().enumerate() {
        if !(x.is_nan() || (*x >= lo && *x <= hi && (kind != Kind::Binary || *x == 0.0 || *x == 1.0))) {
            unknown.entry(x.to_bits()).or_insert((*x, 0)).1 += 1;
            first_row.get_or_insert(i);
            *x = f64::NAN;
        }
    }
    let codes = unknown.into_values().map(|(x, n)| (format_number(x), n)).collect();
    (sorted_by_count(codes), first_row)
}

/// The canonical value of a mapped raw value, or `None` when it is not
/// admissible for the kind (an unknown code). Country codes no mapping covers
/// become the unknown marker when unknown codes are kept.
fn accept(kind: Kind, v: String, keep_unknown: bool) -> Option<String> {
    match kind {
        Kind::Number { .. } | Kind::Binary => {
            let (lo, hi) = bounds(kind);
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= lo && *x <= hi && (kind != Kind::Binary || *x == 0.0 || *x == 1.0))
                .map(|_| v)
        }
        Kind::Code(allowed) => allowed.contains(&v.as_str()).then_some(v),
        Kind::Country if v == UNKNOWN => Some(UNKNOWN_COUNTRY.to_string()),
        Kind::Country if origin_group(&v, "").is_some() => Some(v),
        Kind::Country => keep_unknown.then(|| UNKNOWN_COUNTRY.to_string()),
        Kind::Text => Some(v),
    }
}

/// Codes per row and the distinct raw values as text.
fn distinct(raw: &Column) -> (std::borrow::Cow<'_, [u32]>, std::borrow::Cow<'_, [String]>) {
    use std::borrow::Cow;
    match raw {
        Column::Text(t) => (Cow::Borrowed(&t.codes), Cow::Borrowed(&t.levels)),
        Column::Number(v) => {
            let (codes, values) = number_codes(v);
            (Cow::Owned(codes), Cow::Owned(values.into_iter().map(format_number).collect()))
        }
    }
}

fn sorted_by_count(mut codes: Vec<(String, usize)>) -> Vec<(String, usize)> {
    codes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    codes
}

/// Admissible range of a numeric kind.
fn bounds(kind: Kind) -> (f64, f64) {
    match kind {
        Kind::Number { min, max } => (min, max),
        _ => (0.0, 1.0),
    }
}

/// A text column from the value of every row, which takes few distinct
/// values (group labels); levels in order of first appearance.
fn text_column<'v>(n: usize, mut value: impl FnMut(usize) -> Option<&'v str>) -> Column {
    let mut seen: Vec<&str> = Vec::new();
    let codes = (0..n)
        .map(|i| match value(i) {
            None => MISSING_CODE,
            Some(v) => match seen.iter().position(|s| *s == v) {
                Some(code) => code as u32,
                None => {
                    seen.push(v);
                    (seen.len() - 1) as u32
                }
            },
        })
        .collect();
    let levels = seen.into_iter().map(str::to_string).collect();
    Column::Text(TextColumn { codes, levels })
}

/// A breakdown of the population into migrant groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Breakdown {
    CountryOfBirth,
    Citizenship,
    Generation,
    Residence,
}

impl Breakdown {
    pub const ALL: [Breakdown; 4] =
        [Breakdown::CountryOfBirth, Breakdown::Citizenship, Breakdown::Generation, Breakdown::Residence];

    /// Eurostat-style code of the breakdown (`breakdown` column).
    pub fn code(self) -> &'static str {
        match self {
            Breakdown::CountryOfBirth => "c_birth",
            Breakdown::Citizenship => "citizen",
            Breakdown::Generation => "generation",
            Breakdown::Residence => "residence",
        }
    }

    pub fn from_code(code: &str) -> Option<Breakdown> {
        Breakdown::ALL.into_iter().find(|b| b.code() == code)
    }

    /// Canonical variables the breakdown needs.
    pub fn needs(self) -> &'static [&'static str] {
        match self {
            Breakdown::CountryOfBirth => &["country_birth"],
            Breakdown::Citizenship => &["citizenship"],
            Breakdown::Generation => &["country_birth", "father_birth", "mother_birth"],
            Breakdown::Residence => &["country_birth", "years_residence"],
        }
    }

    /// Name of the derived group column in the canonical frame.
    pub fn column(self) -> String {
        format!("group_{}", self.code())
    }

    /// Partitions of the groups (each row in at most one group of a
    /// partition); aggregate groups come from coarser partitions.
    pub fn partitions(self) -> Vec<Partition> {
        let fine = |groups: &[&'static str]| Partition { merge: Vec::new(), groups: groups.to_vec() };
        match self {
            Breakdown::CountryOfBirth | Breakdown::Citizenship => vec![
                fine(&[NAT, crate::classify::EU_FOR, crate::classify::NEU_FOR, UNKNOWN]),
                Partition {
                    merge: vec![(crate::classify::EU_FOR, FOR), (crate::classify::NEU_FOR, FOR)],
                    groups: vec![FOR],
                },
            ],
            Breakdown::Generation => vec![
                fine(&[NAT, "2GEN_ONE", "2GEN_BOTH", "1GEN"]),
                Partition { merge: vec![("2GEN_ONE", "2GEN"), ("2GEN_BOTH", "2GEN")], groups: vec!["2GEN"] },
            ],
            Breakdown::Residence => vec![fine(&[NAT, "FOR_LT5Y", "FOR_GE5Y"])],
        }
    }
}

/// One way of grouping rows: codes of the group column are renamed by
/// `merge` (others kept), and only `groups` are published from it.
#[derive(Debug, Clone)]
pub struct Partition {
    pub merge: Vec<(&'static str, &'static str)>,
    pub groups: Vec<&'static str>,
}

/// Derives the group column of a breakdown from canonical variables.
/// `country` is the reporting country of every row (natives are born in or
/// citizens of it; missing reads as none): one country for a national
/// survey, or each area's country when one source covers several countries.
pub fn derive_groups(frame: &Frame, breakdown: Breakdown, country: &TextColumn) -> Option<Column> {
    let text = |name: &str| match frame.column(name) {
        Some(Column::Text(t)) => Some(Origins::of(t, country)),
        _ => None,
    };
    let origin = |o: &Origins, i: usize| o.get(i, country);
    let n = frame.n_rows();
    Some(match breakdown {
        Breakdown::CountryOfBirth | Breakdown::Citizenship => {
            let t = text(breakdown.needs()[0])?;
            text_column(n, |i| origin(&t, i))
        }
        Breakdown::Generation => {
            let (own, father, mother) = (text("country_birth")?, text("father_birth")?, text("mother_birth")?);
            let (own, father, mother) = (&own, &father, &mother);
            text_column(n, |i| match origin(own, i)? {
                NAT => {
                    let foreign = |g: &str| g != NAT;
                    match (origin(father, i)?, origin(mother, i)?) {
                        (UNKNOWN, _) | (_, UNKNOWN) => None,
                        (f, m) if foreign(f) && foreign(m) => Some("2GEN_BOTH"),
                        (f, m) if foreign(f) || foreign(m) => Some("2GEN_ONE"),
                        _ => Some(NAT),
                    }
                }
                UNKNOWN => None,
                _ => Some("1GEN"),
            })
        }
        Breakdown::Residence => {
            let own = &text("country_birth")?;
            let Some(Column::Number(years)) = frame.column("years_residence") else { return None };
            text_column(n, |i| match origin(own, i)? {
                NAT => Some(NAT),
                UNKNOWN => None,
                _ if years[i].is_nan() => None,
                _ if years[i] < 5.0 => Some("FOR_LT5Y"),
                _ => Some("FOR_GE5Y"),
            })
        }
    })
}

/// The origin group of every row of a country column: found once per pair
/// of country code and reporting country, as rows repeat few pairs.
struct Origins<'t> {
    column: &'t TextColumn,
    /// By code × reporting country code (missing last).
    table: Vec<Option<&'static str>>,
}

impl<'t> Origins<'t> {
    fn of(column: &'t TextColumn, country: &TextColumn) -> Self {
        let reporting: Vec<&str> = country.levels.iter().map(String::as_str).chain([""]).collect();
        let table = column
            .levels
            .iter()
            .flat_map(|code| {
                reporting.iter().map(move |r| match code.as_str() {
                    UNKNOWN_COUNTRY => Some(UNKNOWN),
                    c => origin_group(c, r),
                })
            })
            .collect();
        Origins { column, table }
    }

    fn get(&self, i: usize, country: &TextColumn) -> Option<&'static str> {
        let width = country.levels.len() + 1;
        match (self.column.codes[i], country.codes[i]) {
            (MISSING_CODE, _) => None,
            (c, MISSING_CODE) => self.table[c as usize * width + width - 1],
            (c, r) => self.table[c as usize * width + r as usize],
        }
    }
}

/// Overcrowding when household composition is not available: the dwelling
/// has fewer rooms than one for the household plus one for every two members
/// (an approximation of Eurostat's definition, see docs/indicators.md).
pub fn derive_overcrowded(frame: &Frame) -> Option<Column> {
    let (Some(Column::Number(rooms)), Some(Column::Number(size))) =
        (frame.column("rooms"), frame.column("household_size"))
    else {
        return None;
    };
    Some(Column::Number(
        rooms
            .iter()
            .zip(size)
            .map(
                |(r, s)| {
                    if r.is_nan() || s.is_nan() {
                        f64::NAN
                    } else {
                        f64::from(u8::from(*r < 1.0 + (s / 2.0).ceil()))
                    }
                },
            )
            .collect(),
    ))
}

/// Stable id of the definition behind a breakdown: the concept, how the
/// codes were obtained (ISO codes or a user mapping, by a hash of it) and the
/// reporting country.
pub fn definition_id(breakdown: Breakdown, country: &str, mappings: &[(&str, &Mapping)]) -> String {
    let mut hash = Fnv::new();
    let mut mapped = false;
    for (variable, m) in mappings {
        if !m.codes.is_empty() {
            mapped = true;
            hash.write(variable.as_bytes());
            for (from, to) in &m.codes {
                hash.write(from.as_bytes());
                hash.write(b"=");
                hash.write(to.as_bytes());
            }
        }
    }
    let how = if mapped { format!("map{:08x}", hash.finish() as u32) } else { "iso".into() };
    let what = match breakdown {
        Breakdown::Residence => "lt5y-",
        _ => "",
    };
    format!("{}.{what}{how}.{country}.v1", breakdown.code())
}

/// 64-bit FNV-1a: a small, stable hash for definition ids.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x100_0000_01b3);
        }
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x100_0000_01b3);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Formats a raw number the way codes are matched (`1` not `1.0`).
pub fn code_text(x: f64) -> String {
    format_number(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(values: &[Option<&str>]) -> Column {
        text_column(values.len(), |i| values[i])
    }

    #[test]
    fn codes_of_few_rows_are_counted_but_never_shown() {
        let unknown = UnknownCodes {
            variable: "citizenship".into(),
            column: "ctz".into(),
            codes: vec![("XK".into(), 40), ("John Smith".into(), 1), ("99".into(), 9)],
        };
        let text = unknown.to_string();
        assert!(text.contains("'XK' (40 rows)"), "{text}");
        assert!(!text.contains("John") && !text.contains("'99'"), "{text}");
        assert!(text.contains("2 codes in fewer than 10 rows each (10 rows;"), "{text}");
    }

    #[test]
    fn codes_are_mapped_and_unknown_codes_counted() {
        let raw = text(&[Some("1"), Some("2"), Some("9"), None, Some("9")]);
        let mapping = Mapping {
            codes: [("1", "employed"), ("2", "unemployed")]
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            keep_unknown: false,
        };
        let (col, unknown) = canonical_column(kind_of("labour_status").unwrap(), &raw, &mapping);
        assert_eq!(unknown, vec![("9".to_string(), 2)]);
        let Column::Text(t) = col else { panic!() };
        assert_eq!(t.get(0), Some("employed"));
        assert_eq!(t.get(2), None);
    }

    #[test]
    fn generations_from_parents() {
        let mut f = Frame::new("t", 4);
        f.push("country_birth", text(&[Some("AT"), Some("AT"), Some("AT"), Some("TR")]));
        f.push("father_birth", text(&[Some("AT"), Some("TR"), Some("TR"), Some("TR")]));
        f.push("mother_birth", text(&[Some("AT"), Some("AT"), Some("DE"), Some("TR")]));
        let at = TextColumn { codes: vec![0; 4], levels: vec!["AT".into()] };
        let Some(Column::Text(g)) = derive_groups(&f, Breakdown::Generation, &at) else { panic!() };
        let got: Vec<_> = (0..4).map(|i| g.get(i).unwrap().to_string()).collect();
        assert_eq!(got, ["NAT", "2GEN_ONE", "2GEN_BOTH", "1GEN"]);
    }

    #[test]
    fn definition_ids_are_stable_and_distinguish_mappings() {
        let iso = Mapping::default();
        let a = definition_id(Breakdown::Citizenship, "AT", &[("citizenship", &iso)]);
        assert_eq!(a, "citizen.iso.AT.v1");
        let m = Mapping { codes: [("AT".to_string(), "NAT".to_string())].into(), keep_unknown: false };
        let b = definition_id(Breakdown::Citizenship, "AT", &[("citizenship", &m)]);
        assert!(b.starts_with("citizen.map") && b != a);
        assert_eq!(b, definition_id(Breakdown::Citizenship, "AT", &[("citizenship", &m)]));
    }
}
