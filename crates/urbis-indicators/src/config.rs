//! The project configuration (TOML), documented in docs/config.md. Values
//! that can be wrong keep their position so every error names its line.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A configuration problem, with the line it is on when known.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// Locates spans in the configuration text.
#[derive(Debug, Clone)]
pub struct Source {
    text: String,
}

impl Source {
    pub fn new(text: impl Into<String>) -> Self {
        Source { text: text.into() }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.text.as_bytes()[..offset.min(self.text.len())].iter().filter(|&&b| b == b'\n').count() + 1
    }

    pub fn error<T>(&self, at: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        ConfigError { line: Some(self.line(at.span().start)), message: message.into() }
    }
}

pub type Text = Spanned<String>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub project: Project,
    #[serde(rename = "source")]
    pub sources: Vec<SourceSpec>,
    pub geography: Geography,
    /// Breakdowns to publish: `c_birth`, `citizen`, `generation`, `residence`
    /// (default: those the variables allow).
    #[serde(default)]
    pub breakdowns: Option<Vec<Text>>,
    pub indicators: Indicators,
    #[serde(default)]
    pub register: Option<Register>,
    /// Reliability and disclosure rules applied before anything is written.
    #[serde(default)]
    pub publication: Publication,
    #[serde(default)]
    pub output: Output,
    /// Small-area estimates for indicators at a level (`[[small_area]]`).
    #[serde(default, rename = "small_area")]
    pub small_areas: Vec<SmallAreaSpec>,
}

/// `[[small_area]]`: a Fay–Herriot model for an indicator at a level, on
/// covariates from a table with one row per area; areas whose direct
/// figure fails the publication rules get the model estimate (method `fh`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmallAreaSpec {
    /// Indicator id (one the run computes from a survey).
    pub indicator: Text,
    /// Area level (one of `geography.levels`).
    pub level: Text,
    /// Covariate table (CSV or Parquet), relative to the configuration's folder.
    pub covariates: Text,
    /// Column of the table with the area codes.
    pub area: Text,
    /// Covariates, as in R: `~ x1 + factor(x2)`.
    pub formula: Text,
    /// `reml` (default), `ml` or `fh` (moments).
    #[serde(default)]
    pub method: Option<Text>,
    /// Groups to model (default: every group of the level).
    #[serde(default)]
    pub groups: Option<Vec<Text>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub name: String,
    /// Reporting country (ISO 3166 alpha-2): natives are born in or citizens
    /// of it. Without it, each area's country from the hierarchy level
    /// `country` (for sources covering cities of several countries).
    #[serde(default)]
    pub country: Option<Text>,
    /// Confidence level of the intervals and of the gap significance.
    #[serde(default = "default_level")]
    pub level: f64,
}

fn default_level() -> f64 {
    0.95
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    pub name: Text,
    /// Microdata file (CSV or Parquet), relative to the configuration's folder.
    pub file: Text,
    /// Survey year of every row, or…
    #[serde(default)]
    pub year: Option<Spanned<i64>>,
    /// …the column holding each row's survey year.
    #[serde(default)]
    pub year_column: Option<Text>,
    pub design: DesignSpec,
    /// Canonical variable → raw column (and code mapping).
    pub variables: BTreeMap<Text, Spanned<VariableSpec>>,
    /// Extra codes meaning "missing" in this file.
    #[serde(default)]
    pub missing: Vec<String>,
    #[serde(default)]
    pub delimiter: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignSpec {
    pub weights: Text,
    #[serde(default)]
    pub strata: Option<Text>,
    #[serde(default)]
    pub ids: Option<Text>,
    #[serde(default)]
    pub fpc: Option<Text>,
    #[serde(default)]
    pub nest: bool,
    #[serde(default)]
    pub lonely_psu: Option<Text>,
    #[serde(default)]
    pub repweights: Option<Text>,
    #[serde(default)]
    pub reptype: Option<Text>,
    #[serde(default)]
    pub rho: Option<f64>,
    #[serde(default)]
    pub scale: Option<f64>,
    #[serde(default)]
    pub rscales: Option<Vec<f64>>,
    #[serde(default)]
    pub mse: bool,
}

/// A canonical variable read from a raw column, as is or through a code mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum VariableSpec {
    Column(String),
    Mapped(MappedVariable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappedVariable {
    pub column: String,
    /// Raw code → canonical code.
    #[serde(default)]
    pub codes: BTreeMap<String, toml::Value>,
    /// A mapping table (CSV) with columns `from` and `to`.
    #[serde(default)]
    pub table: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// `error` (default) or `unknown`: what to do with a code no mapping covers.
    #[serde(default)]
    pub unknown: Option<String>,
}

impl VariableSpec {
    pub fn column(&self) -> &str {
        match self {
            VariableSpec::Column(c) => c,
            VariableSpec::Mapped(m) => &m.column,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geography {
    /// Hierarchy table (CSV): one column per level, one row per area of the
    /// lowest level, whose codes the `geo` variable holds.
    #[serde(default)]
    pub hierarchy: Option<Text>,
    /// Levels to compute: column names of the hierarchy; the first is the
    /// level of the `geo` codes. Without a hierarchy, one level named here.
    pub levels: Vec<Text>,
    /// Column of the hierarchy holding each lowest-level area's resident
    /// population (an official figure), and its reference date.
    #[serde(default)]
    pub population: Option<Text>,
    #[serde(default)]
    pub population_date: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicators {
    /// Catalogue ids (or `all`) and ids of custom indicators.
    pub compute: Vec<Text>,
    #[serde(default)]
    pub custom: Vec<CustomIndicator>,
}

/// An indicator defined in the configuration with the catalogue's building blocks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomIndicator {
    pub id: Text,
    #[serde(default)]
    pub label: Option<String>,
    /// Condition defining the population (empty: everybody).
    #[serde(default)]
    pub population: Option<Text>,
    /// Condition counted in the numerator (for `share`).
    #[serde(default)]
    pub numerator: Option<Text>,
    /// `share`, `mean`, `median`, `arpr` or `median_ratio`.
    pub statistic: Text,
    /// Variable for `mean`, `median`, `arpr` and `median_ratio`.
    #[serde(default)]
    pub variable: Option<Text>,
    #[serde(default)]
    pub unit: Option<String>,
}

/// Administrative counts for the active-citizenship indicators.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// CSV with columns `geo`, `year`, `citizen` (group code) and the counts below.
    pub file: Text,
    /// Column of foreign citizens resident (denominator of both indicators).
    #[serde(default = "default_population")]
    pub population: String,
    /// Column of acquisitions of citizenship.
    #[serde(default = "default_acquisitions")]
    pub acquisitions: String,
    /// Column of long-term residence permits held.
    #[serde(default = "default_long_term")]
    pub long_term_residents: String,
}

fn default_population() -> String {
    "population".into()
}
fn default_acquisitions() -> String {
    "acquisitions".into()
}
fn default_long_term() -> String {
    "long_term_residents".into()
}

/// Publication rules (docs/publication.md): reliability thresholds, for all
/// indicators and per family, and disclosure control.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    /// Thresholds for every indicator family.
    #[serde(default)]
    pub reliability: ReliabilitySpec,
    /// Thresholds of one family (`employment`, `education`,
    /// `social_inclusion`, `active_citizenship`, `population`, `custom`),
    /// overriding the general ones key by key.
    #[serde(default)]
    pub family: BTreeMap<Text, ReliabilitySpec>,
    #[serde(default)]
    pub disclosure: DisclosureSpec,
    /// Pooled years: rolling windows of consecutive survey years.
    #[serde(default)]
    pub pooling: Option<PoolingSpec>,
    /// The (n,k)-dominance rule for magnitudes (income).
    #[serde(default)]
    pub dominance: Option<DominanceSpec>,
}

/// `[publication.pooling]`: when to publish estimates from pooled survey years.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolingSpec {
    /// `never`, `fallback` (when the annual figure fails the rules) or `always`.
    pub mode: Text,
    /// Length of the rolling window in years (default 3).
    #[serde(default)]
    pub years: Option<Spanned<i64>>,
}

/// `[publication.dominance]`: a magnitude cell is confidential when its `n`
/// largest contributors hold more than `k` percent of its total.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DominanceSpec {
    pub n: Spanned<i64>,
    pub k: Spanned<f64>,
}

/// Reliability thresholds; a key left out keeps the default (or the general value).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReliabilitySpec {
    /// Fewer respondents: not published (flag `u`, CONF_STATUS `N`).
    pub min_n: Option<Spanned<i64>>,
    /// Fewer respondents: published with flag `u`.
    pub reliable_n: Option<Spanned<i64>>,
    /// Larger coefficient of variation (percent): not published.
    pub max_cv: Option<Spanned<f64>>,
    /// Larger coefficient of variation (percent): flag `u`.
    pub reliable_cv: Option<Spanned<f64>>,
    /// Wider CI half-width (in the indicator's unit): not published.
    pub max_half_width: Option<Spanned<f64>>,
    /// Wider CI half-width: flag `u`.
    pub reliable_half_width: Option<Spanned<f64>>,
}

/// Disclosure control: the threshold rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureSpec {
    /// Threshold rule: a survey figure from fewer respondents is confidential.
    pub min_respondents: Option<Spanned<i64>>,
    /// Threshold rule for register counts: fewer persons in a cell's
    /// numerator or denominator make it confidential.
    pub min_count: Option<Spanned<i64>>,
    /// Secondary suppression (default true).
    pub secondary: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// Formats besides `csv`: `parquet`, `jsonstat`, `sdmx`.
    #[serde(default)]
    pub formats: Vec<Text>,
    /// SDMX dataflow id.
    #[serde(default = "default_dataflow")]
    pub dataflow: String,
}

impl Default for Output {
    fn default() -> Self {
        Output { formats: Vec::new(), dataflow: default_dataflow() }
    }
}

fn default_dataflow() -> String {
    "URBIS:MIGR_INTEGRATION(1.0)".into()
}

/// Parses the configuration text; syntax and shape errors name their line.
pub fn parse(text: &str) -> Result<(Config, Source), ConfigError> {
    let source = Source::new(text);
    match toml::from_str::<Config>(text) {
        Ok(c) => Ok((c, source)),
        Err(e) => {
            let line = e.span().map(|s| source.line(s.start));
            Err(ConfigError { line, message: e.message().to_string() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[project]
name = "test"
country = "AT"

[[source]]
name = "silc"
file = "silc.csv"
year = 2006
[source.design]
weights = "rb050"
[source.variables]
age = "age"
citizenship = { column = "pb220a", codes = { AT = "NAT", EU = "EU27_2020_FOR" } }

[geography]
levels = ["nuts2"]

[indicators]
compute = ["arop"]
"#;

    #[test]
    fn parses_a_minimal_configuration() {
        let (c, _) = parse(MINIMAL).unwrap();
        assert_eq!(c.sources[0].design.weights.get_ref(), "rb050");
        assert_eq!(c.indicators.compute[0].get_ref(), "arop");
        assert_eq!(c.project.level, 0.95);
    }

    #[test]
    fn errors_name_their_line() {
        let broken = MINIMAL.replace("weights = \"rb050\"", "wieghts = \"rb050\"");
        let e = parse(&broken).unwrap_err();
        assert_eq!(e.line, Some(11), "{e}");
        assert!(e.message.contains("wieghts"), "{e}");
    }
}
