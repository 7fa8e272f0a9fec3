//! What can be estimated, and the options that shape every estimate.

use serde::Serialize;

use crate::sample::QuantileRule;

/// One requested statistic, named by the columns it reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Statistic {
    Mean(String),
    Total(String),
    Ratio {
        numerator: String,
        denominator: String,
    },
    /// The share of each category of a variable.
    Prop(String),
    Quantile {
        variable: String,
        p: f64,
    },
    /// The median with a kernel-density linearisation (convey's `svyiqalpha`
    /// rule), combinable with other estimates in ratios and differences.
    Median(String),
    /// At-risk-of-poverty rate: share below `poverty_share ×` the median of the whole population.
    Arpr(String),
    /// At-risk-of-poverty threshold of the domain.
    Arpt(String),
    Gini(String),
    /// Quintile share ratio S80/S20.
    Qsr(String),
    /// Domain median divided by the median of the whole population.
    MedianRatio(String),
    /// Relative median at-risk-of-poverty gap.
    Rmpg(String),
    /// The median twice, from one pass: as `Quantile` at 0.5 (Woodruff's
    /// interval) and as `Median` (linearised); outputs `VAR:0.5` and `VAR`.
    Medians(String),
}

impl Statistic {
    /// Short name used in outputs (`statistic` column).
    pub fn name(&self) -> &'static str {
        match self {
            Statistic::Mean(_) => "mean",
            Statistic::Total(_) => "total",
            Statistic::Ratio { .. } => "ratio",
            Statistic::Prop(_) => "prop",
            Statistic::Quantile { .. } => "quantile",
            Statistic::Median(_) => "median",
            Statistic::Arpr(_) => "arpr",
            Statistic::Arpt(_) => "arpt",
            Statistic::Gini(_) => "gini",
            Statistic::Qsr(_) => "qsr",
            Statistic::MedianRatio(_) => "median_ratio",
            Statistic::Rmpg(_) => "rmpg",
            Statistic::Medians(_) => "medians",
        }
    }

    /// The columns the statistic reads.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Statistic::Ratio { numerator, denominator } => vec![numerator, denominator],
            Statistic::Quantile { variable, .. } => vec![variable],
            Statistic::Mean(v)
            | Statistic::Total(v)
            | Statistic::Prop(v)
            | Statistic::Median(v)
            | Statistic::Arpr(v)
            | Statistic::Arpt(v)
            | Statistic::Gini(v)
            | Statistic::Qsr(v)
            | Statistic::MedianRatio(v)
            | Statistic::Rmpg(v)
            | Statistic::Medians(v) => vec![v],
        }
    }

    /// Label of the `variable` output column (categories are added for `prop`).
    pub fn label(&self) -> String {
        match self {
            Statistic::Ratio { numerator, denominator } => format!("{numerator}/{denominator}"),
            Statistic::Quantile { variable, p } => format!("{variable}:{p}"),
            other => other.columns()[0].to_string(),
        }
    }
}

/// The definition of the Gini coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GiniRule {
    /// Eurostat's EU-SILC definition (as R laeken): Σ(2·cw_i − w_i)·w_i·x_i / (N·X) − 1.
    #[default]
    Eurostat,
    /// R convey's `svygini`: Σ(2·cw_i − 1)·w_i·x_i / (N·X) − 1.
    Convey,
}

/// Options shared by all statistics of one call.
#[derive(Debug, Clone, Serialize)]
pub struct Options {
    /// Confidence level of the intervals.
    pub level: f64,
    pub qrule: QuantileRule,
    pub gini_rule: GiniRule,
    /// Share of the median that makes the poverty threshold (0.6 in EU-SILC).
    pub poverty_share: f64,
    /// Differences between two levels of the last `by` variable: (first, second).
    pub diff: Option<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            level: 0.95,
            qrule: QuantileRule::Math,
            gini_rule: GiniRule::Eurostat,
            poverty_share: 0.6,
            diff: None,
        }
    }
}
