//! Publication rules from the configuration, validated, with the documented
//! defaults (docs/publication.md).

use std::collections::BTreeMap;

use toml::Spanned;

use crate::config::{ConfigError, DominanceSpec, PoolingSpec, Publication, ReliabilitySpec, Source};

/// Families a `[publication.family.X]` table may name.
pub const FAMILIES: [&str; 6] =
    ["employment", "education", "social_inclusion", "active_citizenship", "population", "custom"];

/// Reliability thresholds of one family. A figure failing a `max`/`min`
/// limit is not published; one failing a `reliable` limit is flagged `u`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reliability {
    pub min_n: u64,
    pub reliable_n: u64,
    /// Coefficient of variation limits, in percent.
    pub max_cv: Option<f64>,
    pub reliable_cv: Option<f64>,
    /// Confidence-interval half-width limits, in the indicator's unit.
    pub max_half_width: Option<f64>,
    pub reliable_half_width: Option<f64>,
}

impl Default for Reliability {
    /// The EU-SILC publication limits: fewer than 20 observations not
    /// published, 20 to 49 flagged; no CV or half-width limit.
    fn default() -> Self {
        Reliability {
            min_n: 20,
            reliable_n: 50,
            max_cv: None,
            reliable_cv: None,
            max_half_width: None,
            reliable_half_width: None,
        }
    }
}

/// Every rule a run applies before publishing.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    pub general: Reliability,
    /// Per family (keys as in [`FAMILIES`]).
    pub families: BTreeMap<String, Reliability>,
    /// Threshold rule for survey figures (respondents).
    pub min_respondents: u64,
    /// Threshold rule for register counts (persons).
    pub min_count: u64,
    /// When pooled survey years are published.
    pub pooling: Pooling,
    /// The (n,k)-dominance rule for magnitude cells, when configured.
    pub dominance: Option<Dominance>,
    /// Secondary suppression (`[publication.disclosure] secondary`, on by
    /// default): off only to see what the primary rules alone would leak.
    pub secondary: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            general: Reliability::default(),
            families: BTreeMap::new(),
            min_respondents: 10,
            min_count: 10,
            pooling: Pooling::default(),
            dominance: None,
            secondary: true,
        }
    }
}

/// When estimates from pooled survey years are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PoolMode {
    /// Annual estimates only.
    #[default]
    Never,
    /// The pooled estimate of the window ending in a year replaces an annual
    /// figure that fails the rules, when it fares better.
    Fallback,
    /// Pooled estimates only, one per full window.
    Always,
}

/// Pooled years: the mode and the window length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pooling {
    pub mode: PoolMode,
    /// Consecutive survey years per window.
    pub years: usize,
    /// Configuration line of the window length (or of `mode`), for errors
    /// found when the sources are read.
    pub line: Option<usize>,
}

/// The (n,k)-dominance rule: a cell is sensitive when the sum of its `n`
/// largest contributions exceeds `k` percent of its total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dominance {
    pub n: usize,
    pub k: f64,
}

impl Dominance {
    /// Whether `top` (the sum of the `n` largest contributions) exceeds `k`
    /// percent of `total`; exactly `k` percent is not sensitive. Compared as
    /// `100 top > k total`, so that shares such as 60 % are exact.
    pub fn is_sensitive(&self, top: f64, total: f64) -> bool {
        100.0 * top > self.k * total
    }
}

impl Rules {
    /// Validates the configuration's `[publication]` tables; errors name their line.
    pub fn from_config(spec: &Publication, text: &Source) -> Result<Rules, ConfigError> {
        let defaults = Rules::default();
        let general = reliability(&spec.reliability, &defaults.general, text)?;
        let mut families = BTreeMap::new();
        for (name, family) in &spec.family {
            let key = family_key(name.get_ref());
            if !FAMILIES.contains(&key.as_str()) {
                return Err(text.error(
                    name,
                    format!("unknown indicator family '{}' (one of {})", name.get_ref(), FAMILIES.join(", ")),
                ));
            }
            families.insert(key, reliability(family, &general, text)?);
        }
        let d = &spec.disclosure;
        Ok(Rules {
            general,
            families,
            min_respondents: count(&d.min_respondents, defaults.min_respondents, text)?,
            min_count: count(&d.min_count, defaults.min_count, text)?,
            pooling: match &spec.pooling {
                Some(p) => pooling(p, text)?,
                None => Pooling::default(),
            },
            dominance: spec.dominance.as_ref().map(|d| dominance(d, text)).transpose()?,
            secondary: d.secondary.unwrap_or(defaults.secondary),
        })
    }

    /// The thresholds of an indicator family (as the catalogue names it).
    pub fn reliability(&self, family: &str) -> &Reliability {
        self.families.get(&family_key(family)).unwrap_or(&self.general)
    }
}

/// `social inclusion` and `social_inclusion` name the same family.
fn family_key(name: &str) -> String {
    name.trim().to_lowercase().replace([' ', '-'], "_")
}

fn reliability(spec: &ReliabilitySpec, base: &Reliability, text: &Source) -> Result<Reliability, ConfigError> {
    let r = Reliability {
        min_n: count(&spec.min_n, base.min_n, text)?,
        reliable_n: count(&spec.reliable_n, base.reliable_n, text)?,
        max_cv: positive(&spec.max_cv, base.max_cv, text)?,
        reliable_cv: positive(&spec.reliable_cv, base.reliable_cv, text)?,
        max_half_width: positive(&spec.max_half_width, base.max_half_width, text)?,
        reliable_half_width: positive(&spec.reliable_half_width, base.reliable_half_width, text)?,
    };
    if r.reliable_n < r.min_n {
        let at = spec.reliable_n.as_ref().or(spec.min_n.as_ref());
        let message = format!("reliable_n ({}) must not be below min_n ({})", r.reliable_n, r.min_n);
        return Err(match at {
            Some(at) => text.error(at, message),
            None => ConfigError { line: None, message },
        });
    }
    for (loose, strict, name) in
        [(r.max_cv, r.reliable_cv, "cv"), (r.max_half_width, r.reliable_half_width, "half_width")]
    {
        if let (Some(max), Some(reliable)) = (loose, strict) {
            if reliable > max {
                let at = if name == "cv" { &spec.reliable_cv } else { &spec.reliable_half_width };
                let message = format!("reliable_{name} ({reliable}) must not exceed max_{name} ({max})");
                return Err(match at {
                    Some(at) => text.error(at, message),
                    None => ConfigError { line: None, message },
                });
            }
        }
    }
    Ok(r)
}

/// The default window length (docs/publication.md).
const DEFAULT_POOLED_YEARS: usize = 3;

fn pooling(spec: &PoolingSpec, text: &Source) -> Result<Pooling, ConfigError> {
    let mode = match spec.mode.get_ref().as_str() {
        "never" => PoolMode::Never,
        "fallback" => PoolMode::Fallback,
        "always" => PoolMode::Always,
        other => {
            return Err(text.error(&spec.mode, format!("unknown pooling mode '{other}' (never, fallback, always)")))
        }
    };
    let years = match &spec.years {
        None => DEFAULT_POOLED_YEARS,
        Some(y) if *y.get_ref() >= 2 && *y.get_ref() <= 10 => *y.get_ref() as usize,
        Some(y) => {
            return Err(text.error(y, format!("a pooling window is 2 to 10 consecutive years, got {}", y.get_ref())))
        }
    };
    let line = match &spec.years {
        Some(y) => text.line(y.span().start),
        None => text.line(spec.mode.span().start),
    };
    Ok(Pooling { mode, years, line: Some(line) })
}

fn dominance(spec: &DominanceSpec, text: &Source) -> Result<Dominance, ConfigError> {
    let n = *spec.n.get_ref();
    if n < 1 {
        return Err(
            text.error(&spec.n, format!("the dominance rule's n is a number of contributors (1 or more), got {n}"))
        );
    }
    let k = *spec.k.get_ref();
    if !(k > 0.0 && k < 100.0) {
        return Err(
            text.error(&spec.k, format!("the dominance rule's k is a percentage above 0 and below 100, got {k}"))
        );
    }
    Ok(Dominance { n: n as usize, k })
}

fn count(value: &Option<Spanned<i64>>, default: u64, text: &Source) -> Result<u64, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if *v.get_ref() >= 0 => Ok(*v.get_ref() as u64),
        Some(v) => Err(text.error(v, format!("a threshold must be a non-negative count, got {}", v.get_ref()))),
    }
}

fn positive(value: &Option<Spanned<f64>>, default: Option<f64>, text: &Source) -> Result<Option<f64>, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if v.get_ref().is_finite() && *v.get_ref() > 0.0 => Ok(Some(*v.get_ref())),
        Some(v) => Err(text.error(v, format!("a limit must be a positive number, got {}", v.get_ref()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(toml_text: &str) -> Result<Rules, ConfigError> {
        let spec: Publication =
            toml::from_str(toml_text).map_err(|e| ConfigError { line: None, message: e.to_string() })?;
        Rules::from_config(&spec, &Source::new(toml_text))
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let r = rules("").unwrap();
        assert_eq!(r, Rules::default());
        assert_eq!((r.general.min_n, r.general.reliable_n, r.min_respondents), (20, 50, 10));
    }

    #[test]
    fn a_family_overrides_the_general_thresholds_key_by_key() {
        let r = rules("[reliability]\nmin_n = 30\nreliable_n = 60\n[family.employment]\nreliable_n = 100\n").unwrap();
        assert_eq!(r.reliability("employment").min_n, 30);
        assert_eq!(r.reliability("employment").reliable_n, 100);
        assert_eq!(r.reliability("social inclusion").reliable_n, 60);
    }

    #[test]
    fn errors_name_the_line() {
        let e = rules("[family.emplyment]\nmin_n = 3\n").unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        assert!(e.message.contains("emplyment"), "{e}");
        let e = rules("[reliability]\nmin_n = 50\nreliable_n = 20\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let e = rules("[disclosure]\nmin_respondents = -1\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn pooling_modes_and_window_lengths() {
        assert_eq!(rules("").unwrap().pooling.mode, PoolMode::Never);
        let r = rules("[pooling]\nmode = \"fallback\"\nyears = 2\n").unwrap();
        assert_eq!((r.pooling.mode, r.pooling.years, r.pooling.line), (PoolMode::Fallback, 2, Some(3)));
        let r = rules("[pooling]\nmode = \"always\"\n").unwrap();
        assert_eq!((r.pooling.mode, r.pooling.years, r.pooling.line), (PoolMode::Always, 3, Some(2)));
        let e = rules("[pooling]\nmode = \"sometimes\"\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("never, fallback, always"), "{e}");
        let e = rules("[pooling]\nmode = \"always\"\nyears = 1\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }

    #[test]
    fn dominance_parameters() {
        assert_eq!(rules("").unwrap().dominance, None);
        let r = rules("[dominance]\nn = 2\nk = 85\n").unwrap();
        assert_eq!(r.dominance, Some(Dominance { n: 2, k: 85.0 }));
        for (bad, line) in [("n = 0\nk = 60", 2), ("n = 1\nk = 100", 3), ("n = 1\nk = 0", 3), ("n = 1\nk = -5.5", 3)] {
            let e = rules(&format!("[dominance]\n{bad}\n")).unwrap_err();
            assert_eq!(e.line, Some(line), "{bad}: {e}");
        }
        let e = rules("[dominance]\nn = 1\n").unwrap_err();
        assert!(e.message.contains("k"), "{e}");
    }

    #[test]
    fn dominance_exactly_at_k_percent_is_not_sensitive() {
        let rule = Dominance { n: 1, k: 60.0 };
        assert!(!rule.is_sensitive(60.0, 100.0));
        assert!(rule.is_sensitive(60.000001, 100.0));
        // 1.8 of 3 is exactly 60 %, but 0.6 × 3 is 1.7999999999999998 in floating point.
        assert!(!rule.is_sensitive(1.8, 3.0));
        let rule = Dominance { n: 2, k: 70.0 };
        assert!(!rule.is_sensitive(0.7, 1.0));
        assert!(!rule.is_sensitive(7.0, 10.0) && rule.is_sensitive(7.0, 9.999999));
    }
}
