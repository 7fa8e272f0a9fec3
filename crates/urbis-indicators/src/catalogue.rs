//! The built-in indicator catalogue, following Eurostat's migrant integration
//! statistics (docs/indicators.md gives the numerator, denominator,
//! population, source and reference of each). Every indicator is made of the
//! same building blocks a user can combine in the configuration: a population
//! condition, a numerator condition or a variable, and a statistic.

/// How an indicator is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Percentage of the population meeting the numerator condition.
    Share,
    /// Mean of a variable.
    Mean,
    /// Median of a variable (Woodruff interval).
    Median,
    /// At-risk-of-poverty rate in percent, threshold 60 % of the median of the whole population.
    Arpr,
    /// Median of the group over the median of the area's total population.
    MedianRatio,
    /// Percentage of the area's population in each group.
    GroupShare,
    /// Ratio of register counts, in percent.
    Register,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "share" => Kind::Share,
            "mean" => Kind::Mean,
            "median" => Kind::Median,
            "arpr" => Kind::Arpr,
            "median_ratio" => Kind::MedianRatio,
            _ => return None,
        })
    }
}

/// How the gap of a group to natives is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gap {
    /// Difference (percentage points for rates).
    Difference,
    /// Ratio group / natives.
    Ratio,
}

/// One indicator of the catalogue (or of the configuration); it is written
/// as it is into the run's metadata.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Indicator {
    pub id: String,
    pub label: String,
    pub family: String,
    /// Condition on canonical variables defining the population.
    pub population: String,
    /// Condition counted in the numerator (`Share`).
    pub numerator: String,
    /// Variable of `Mean`, `Median`, `Arpr`, `MedianRatio`.
    pub variable: String,
    #[serde(rename = "statistic")]
    pub kind: Kind,
    pub unit: String,
    pub gap: Gap,
    /// Source type: `LFS`, `EU-SILC`, `register` or `survey`.
    #[serde(rename = "source_type")]
    pub source: String,
    /// Eurostat table or definition it follows.
    pub reference: String,
}

#[allow(clippy::too_many_arguments)]
fn def(
    id: &str,
    label: &str,
    family: &str,
    population: &str,
    numerator: &str,
    kind: Kind,
    source: &str,
    reference: &str,
) -> Indicator {
    let (variable, unit, gap) = match kind {
        Kind::Share | Kind::GroupShare | Kind::Register => ("", "PC", Gap::Difference),
        Kind::Arpr => ("income", "PC", Gap::Difference),
        Kind::Median | Kind::Mean => ("income", "EUR", Gap::Ratio),
        Kind::MedianRatio => ("income", "RT", Gap::Difference),
    };
    Indicator {
        id: id.into(),
        label: label.into(),
        family: family.into(),
        population: population.into(),
        numerator: numerator.into(),
        variable: variable.into(),
        kind,
        unit: unit.into(),
        gap,
        source: source.into(),
        reference: reference.into(),
    }
}

/// The built-in catalogue, in publication order.
pub fn catalogue() -> Vec<Indicator> {
    use Kind::*;
    const EMP: &str = "employment";
    const EDU: &str = "education";
    const SOC: &str = "social inclusion";
    vec![
        def(
            "emp_rate",
            "Employment rate, 20–64",
            EMP,
            "age >= 20 and age <= 64",
            "labour_status == 'employed'",
            Share,
            "LFS",
            "lfsa_ergacob",
        ),
        def(
            "act_rate",
            "Activity rate, 20–64",
            EMP,
            "age >= 20 and age <= 64",
            "labour_status in ['employed', 'unemployed']",
            Share,
            "LFS",
            "lfsa_argacob",
        ),
        def(
            "unemp_rate",
            "Unemployment rate, 15–74",
            EMP,
            "age >= 15 and age <= 74 and labour_status in ['employed', 'unemployed']",
            "labour_status == 'unemployed'",
            Share,
            "LFS",
            "lfsa_urgacob",
        ),
        def(
            "ltu_share",
            "Long-term unemployment (12 months or more) as a share of unemployment, 15–74",
            EMP,
            "age >= 15 and age <= 74 and labour_status == 'unemployed'",
            "unemployment_months >= 12",
            Share,
            "LFS",
            "lfsa_upgacob",
        ),
        def(
            "self_emp_share",
            "Self-employed as a share of employment, 15–64",
            EMP,
            "age >= 15 and age <= 64 and labour_status == 'employed'",
            "status_in_employment == 'self_employed'",
            Share,
            "LFS",
            "lfsa_esgacob",
        ),
        def(
            "temp_share",
            "Temporary employees as a share of employees, 15–64",
            EMP,
            "age >= 15 and age <= 64 and status_in_employment == 'employee'",
            "temporary == 1",
            Share,
            "LFS",
            "lfsa_etpgacob",
        ),
        def(
            "part_time_share",
            "Part-time employment as a share of employment, 20–64",
            EMP,
            "age >= 20 and age <= 64 and labour_status == 'employed'",
            "part_time == 1",
            Share,
            "LFS",
            "lfsa_eppgacob",
        ),
        def(
            "overqual_rate",
            "Over-qualification rate: tertiary-educated employed in ISCO 4–9, 20–64",
            EMP,
            "age >= 20 and age <= 64 and labour_status == 'employed' and education >= 5",
            "occupation >= 4 and occupation <= 9",
            Share,
            "LFS",
            "lfsa_eoqgacob",
        ),
        def(
            "edu_low",
            "Low educational attainment (ISCED 0–2), 25–64",
            EDU,
            "age >= 25 and age <= 64",
            "education <= 2",
            Share,
            "LFS",
            "edat_lfs_9912",
        ),
        def(
            "edu_tertiary",
            "Tertiary educational attainment (ISCED 5–8), 25–64",
            EDU,
            "age >= 25 and age <= 64",
            "education >= 5",
            Share,
            "LFS",
            "edat_lfs_9912",
        ),
        def(
            "tertiary_25_34",
            "Tertiary educational attainment, 25–34",
            EDU,
            "age >= 25 and age <= 34",
            "education >= 5",
            Share,
            "LFS",
            "edat_lfs_9912",
        ),
        def(
            "early_leavers",
            "Early leavers from education and training, 18–24",
            EDU,
            "age >= 18 and age <= 24",
            "education <= 2 and training == 0",
            Share,
            "LFS",
            "edat_lfse_02",
        ),
        def(
            "neet_rate",
            "Neither in employment nor in education or training, 15–29",
            EDU,
            "age >= 15 and age <= 29",
            "labour_status != 'employed' and training == 0",
            Share,
            "LFS",
            "edat_lfse_23",
        ),
        def(
            "adult_learning",
            "Participation in education and training (last 4 weeks), 25–64",
            EDU,
            "age >= 25 and age <= 64",
            "training == 1",
            Share,
            "LFS",
            "trng_lfs_13",
        ),
        def(
            "arop",
            "At-risk-of-poverty rate, 18 and over",
            SOC,
            "age >= 18",
            "",
            Arpr,
            "EU-SILC",
            "ilc_li31 / ilc_li32",
        ),
        def(
            "median_income",
            "Median equivalised net income, 18 and over",
            SOC,
            "age >= 18",
            "",
            Median,
            "EU-SILC",
            "ilc_di15 / ilc_di16",
        ),
        def(
            "median_income_ratio",
            "Median equivalised net income relative to the total population's, 18 and over",
            SOC,
            "age >= 18",
            "",
            MedianRatio,
            "EU-SILC",
            "ilc_di15 / ilc_di16",
        ),
        def(
            "in_work_poverty",
            "In-work at-risk-of-poverty rate, employed 18 and over",
            SOC,
            "age >= 18 and labour_status == 'employed'",
            "",
            Arpr,
            "EU-SILC",
            "ilc_iw15 / ilc_iw16",
        ),
        def(
            "owners_share",
            "Share of owners, 18 and over",
            SOC,
            "age >= 18",
            "tenure == 'owner'",
            Share,
            "EU-SILC",
            "ilc_lvho15 / ilc_lvho16",
        ),
        def(
            "overcrowding",
            "Overcrowding rate, 18 and over",
            SOC,
            "age >= 18",
            "overcrowded == 1",
            Share,
            "EU-SILC",
            "ilc_lvho15 / ilc_lvho16",
        ),
        def(
            "good_health",
            "Self-perceived health good or very good, 16 and over",
            SOC,
            "age >= 16",
            "health <= 2",
            Share,
            "EU-SILC",
            "hlth_silc_15 / hlth_silc_16",
        ),
        def(
            "naturalisation_rate",
            "Acquisitions of citizenship per 100 foreign citizens resident",
            "active citizenship",
            "",
            "acquisitions",
            Register,
            "register",
            "migr_acqs / migr_pop1ctz",
        ),
        def(
            "ltr_share",
            "Long-term residents among non-EU citizens",
            "active citizenship",
            "",
            "long_term_residents",
            Register,
            "register",
            "migr_reslong / migr_resvalid",
        ),
        def(
            "pop_share",
            "Share of the population by origin group",
            "population",
            "",
            "",
            GroupShare,
            "survey",
            "migr_pop3ctb / migr_pop1ctz",
        ),
    ]
}

/// Ids of the catalogue, for messages.
pub fn ids() -> Vec<String> {
    catalogue().into_iter().map(|i| i.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Expr;

    #[test]
    fn the_catalogue_has_the_agreed_ids_and_parsable_conditions() {
        let ids = ids();
        for id in [
            "emp_rate",
            "act_rate",
            "unemp_rate",
            "ltu_share",
            "self_emp_share",
            "temp_share",
            "part_time_share",
            "overqual_rate",
            "edu_low",
            "edu_tertiary",
            "tertiary_25_34",
            "early_leavers",
            "neet_rate",
            "adult_learning",
            "arop",
            "median_income",
            "median_income_ratio",
            "in_work_poverty",
            "owners_share",
            "overcrowding",
            "good_health",
            "naturalisation_rate",
            "ltr_share",
            "pop_share",
        ] {
            assert!(ids.contains(&id.to_string()), "{id} missing");
        }
        assert_eq!(ids.len(), 24);
        for i in catalogue() {
            Expr::parse(&i.population).unwrap();
            if i.kind == Kind::Share {
                Expr::parse(&i.numerator).unwrap();
            }
        }
    }
}
