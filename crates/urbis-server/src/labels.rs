//! Names, colours and marker shapes of groups, breakdowns and levels.
//! Colours are the Okabe–Ito palette (distinguishable with every common
//! colour-vision deficiency), and each group also has its own marker shape,
//! so colour is never the only signal.

/// Marker shapes, in the order groups take them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    TriangleDown,
}

/// Colour and marker of a group: fixed for the common Eurostat groups,
/// by position for the others.
pub fn style(group: &str, position: usize) -> (&'static str, Marker) {
    const OTHERS: [(&str, Marker); 5] = [
        ("#E69F00", Marker::TriangleDown),
        ("#56B4E9", Marker::Circle),
        ("#009E73", Marker::Square),
        ("#CC79A7", Marker::Triangle),
        ("#D55E00", Marker::Diamond),
    ];
    match group {
        "NAT" => ("#0072B2", Marker::Circle),
        "FOR" | "1GEN" | "FOR_LT5Y" => ("#D55E00", Marker::Square),
        "EU27_2020_FOR" | "2GEN" | "FOR_GE5Y" => ("#009E73", Marker::Triangle),
        "NEU27_2020_FOR" | "2GEN_BOTH" => ("#CC79A7", Marker::Diamond),
        "2GEN_ONE" => ("#E69F00", Marker::TriangleDown),
        "TOTAL" => ("#555555", Marker::Circle),
        _ => OTHERS[position % OTHERS.len()],
    }
}

/// A group's name for readers.
pub fn group(code: &str) -> String {
    match code {
        "NAT" => "Natives".into(),
        "FOR" => "Foreign (all)".into(),
        "EU27_2020_FOR" => "EU-27 foreign".into(),
        "NEU27_2020_FOR" => "Non-EU-27 foreign".into(),
        "TOTAL" => "Total".into(),
        "1GEN" => "First generation".into(),
        "2GEN" => "Second generation".into(),
        "2GEN_BOTH" => "Second generation, both parents foreign-born".into(),
        "2GEN_ONE" => "Second generation, one parent foreign-born".into(),
        "FOR_LT5Y" => "Foreign, less than 5 years of residence".into(),
        "FOR_GE5Y" => "Foreign, 5 years or more of residence".into(),
        other => other.to_string(),
    }
}

/// A breakdown's name for readers.
pub fn breakdown(code: &str) -> String {
    match code {
        "c_birth" => "Country of birth".into(),
        "citizen" => "Citizenship".into(),
        "generation" => "Generation".into(),
        "residence" => "Duration of residence".into(),
        other => other.to_string(),
    }
}

/// A unit's name for readers.
pub fn unit(code: &str) -> &str {
    match code {
        "PC" => "%",
        "PP" => "percentage points",
        "EUR" => "euro",
        "RT" => "ratio",
        other => other,
    }
}

/// A measure's name for readers.
pub fn measure(code: &str) -> &str {
    match code {
        "value" => "value",
        "gap_diff" => "gap to natives (difference)",
        "gap_ratio" => "gap to natives (ratio)",
        other => other,
    }
}

/// How a figure is published, for tables: the value, or why it is not shown.
pub fn status(conf_status: &str, flag: &str) -> &'static str {
    match conf_status {
        "C" | "D" => "suppressed (confidential) [c]",
        "N" => "not published: too few observations [u]",
        _ if flag.contains('u') => "low reliability [u]",
        _ => "",
    }
}
