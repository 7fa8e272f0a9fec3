//! Model formulas as R writes them, restricted to what the small-area
//! models need: `y ~ x1 + x2 + factor(region)`, with `- 1` or `+ 0` to drop
//! the intercept. A `factor(COL)` term is coded as R's `model.matrix` does
//! with treatment contrasts: one 0/1 column per level but the first (the
//! reference); without an intercept, the first factor keeps all its levels.
//! Levels are sorted as R's `factor()` sorts them: numerically when every
//! value is a number, otherwise by their text (byte order).

use std::collections::BTreeSet;

use crate::error::{Result, SaeError};

/// A parsed formula.
#[derive(Clone, Debug, PartialEq)]
pub struct Formula {
    /// The formula as written.
    pub text: String,
    /// The left-hand side, when there is one.
    pub response: Option<String>,
    /// Whether the model has an intercept (the default).
    pub intercept: bool,
    /// The terms in the order written, without duplicates.
    pub terms: Vec<Term>,
}

/// One term of the right-hand side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    /// A numeric column, used as it is.
    Numeric(String),
    /// `factor(COL)`: a categorical column in treatment coding.
    Factor(String),
}

impl Term {
    /// The column the term reads.
    pub fn column(&self) -> &str {
        match self {
            Term::Numeric(c) | Term::Factor(c) => c,
        }
    }
}

impl Formula {
    /// The columns the terms read, in order, without duplicates.
    pub fn columns(&self) -> Vec<String> {
        let mut seen = Vec::<String>::new();
        for t in &self.terms {
            if !seen.iter().any(|c| c == t.column()) {
                seen.push(t.column().to_string());
            }
        }
        seen
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Plus,
    Minus,
    Open,
    Close,
    Name(String),
    Number(String),
}

fn formula_error(text: &str, reason: impl Into<String>) -> SaeError {
    SaeError::Formula { formula: text.to_string(), reason: reason.into() }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

fn tokens(text: &str, side: &str) -> Result<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = side.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                chars.next();
            }
            '+' => {
                chars.next();
                out.push(Token::Plus);
            }
            '-' => {
                chars.next();
                out.push(Token::Minus);
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '`' => {
                chars.next();
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('`') => break,
                        Some(c) => name.push(c),
                        None => return Err(formula_error(text, "a name quoted with ` is not closed")),
                    }
                }
                if name.is_empty() {
                    return Err(formula_error(text, "an empty quoted name"));
                }
                out.push(Token::Name(name));
            }
            c if is_name_char(c) => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if !is_name_char(c) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                if word.chars().all(|c| c.is_ascii_digit()) {
                    out.push(Token::Number(word));
                } else {
                    out.push(Token::Name(word));
                }
            }
            other => {
                return Err(formula_error(
                    text,
                    format!(
                        "'{other}' is not supported: terms are numeric columns, factor(COL), 1, 0 and -1 joined by '+'"
                    ),
                ))
            }
        }
    }
    Ok(out)
}

/// Parses `[y] ~ term + term ...`.
///
/// ```
/// use urbis_sae::formula::{parse, Term};
/// let f = parse("~ x1 + factor(region) - 1").unwrap();
/// assert!(!f.intercept);
/// assert_eq!(f.terms, [Term::Numeric("x1".into()), Term::Factor("region".into())]);
/// ```
pub fn parse(text: &str) -> Result<Formula> {
    let mut sides = text.split('~');
    let lhs = sides.next().unwrap_or_default();
    let Some(rhs) = sides.next() else {
        return Err(formula_error(text, "no '~' (write it as '~ x1 + factor(x2)')"));
    };
    if sides.next().is_some() {
        return Err(formula_error(text, "more than one '~'"));
    }
    let response = match tokens(text, lhs)?.as_slice() {
        [] => None,
        [Token::Name(n)] => Some(n.clone()),
        _ => return Err(formula_error(text, "the left-hand side must be a single column name")),
    };
    let toks = tokens(text, rhs)?;
    if toks.is_empty() {
        return Err(formula_error(text, "nothing after '~' (use '~ 1' for an intercept-only model)"));
    }
    let mut formula = Formula { text: text.to_string(), response, intercept: true, terms: Vec::new() };
    let mut i = 0;
    let mut first = true;
    while i < toks.len() {
        let mut negative = false;
        match toks[i] {
            Token::Plus => i += 1,
            Token::Minus => {
                negative = true;
                i += 1;
            }
            _ if first => {}
            _ => return Err(formula_error(text, "terms must be joined by '+'")),
        }
        first = false;
        let Some(tok) = toks.get(i) else {
            return Err(formula_error(text, "a term is missing after the last sign"));
        };
        match tok {
            Token::Number(n) if n == "1" || n == "0" => {
                // "+ 1" keeps the intercept, "- 1" and "+ 0" drop it, "- 0" keeps it.
                formula.intercept = (n == "1") != negative;
                i += 1;
            }
            Token::Number(n) => {
                return Err(formula_error(text, format!("the number {n} is not a term (only 1, 0 and -1 are)")))
            }
            Token::Name(name) => {
                if negative {
                    return Err(formula_error(text, format!("removing a term ('-{name}') is not supported")));
                }
                let term = if toks.get(i + 1) == Some(&Token::Open) {
                    let column = match (toks.get(i + 2), toks.get(i + 3)) {
                        (Some(Token::Name(c)), Some(Token::Close)) => c.clone(),
                        _ => return Err(formula_error(text, format!("{name}(...) must enclose one column name"))),
                    };
                    if name != "factor" && name != "as.factor" {
                        return Err(formula_error(
                            text,
                            format!("the function {name}() is not supported (only factor(COL)); compute the column beforehand"),
                        ));
                    }
                    i += 4;
                    Term::Factor(column)
                } else {
                    i += 1;
                    Term::Numeric(name.clone())
                };
                if !formula.terms.contains(&term) {
                    formula.terms.push(term);
                }
            }
            _ => return Err(formula_error(text, "a term is missing or a parenthesis is misplaced")),
        }
    }
    if !formula.intercept && formula.terms.is_empty() {
        return Err(formula_error(text, "a model with neither an intercept nor terms"));
    }
    Ok(formula)
}

/// The values of one column given to [`design`].
#[derive(Clone, Debug)]
pub enum Covariate {
    /// Numbers (NaN is missing).
    Number(Vec<f64>),
    /// Text (`None` is missing); usable only in `factor(COL)`.
    Text(Vec<Option<String>>),
}

impl Covariate {
    fn len(&self) -> usize {
        match self {
            Covariate::Number(v) => v.len(),
            Covariate::Text(v) => v.len(),
        }
    }
}

/// A design matrix: named columns, stored row by row.
#[derive(Clone, Debug, PartialEq)]
pub struct Design {
    names: Vec<String>,
    rows: usize,
    values: Vec<f64>,
}

impl Design {
    /// A design from its values row by row (`values.len() == rows * names.len()`).
    pub fn from_rows(names: Vec<String>, rows: usize, values: Vec<f64>) -> Result<Design> {
        if values.len() != rows * names.len() {
            return Err(SaeError::Shape(format!(
                "a design of {rows} rows and {} columns needs {} values, not {}",
                names.len(),
                rows * names.len(),
                values.len()
            )));
        }
        if names.is_empty() {
            return Err(SaeError::Shape("a design needs at least one column".into()));
        }
        if let Some(k) = values.iter().position(|v| !v.is_finite()) {
            return Err(SaeError::BadValue {
                row: k / names.len(),
                column: names[k % names.len()].clone(),
                reason: format!("{} is not a finite number", values[k]),
            });
        }
        Ok(Design { names, rows, values })
    }

    /// Column names, as R's `model.matrix` names them.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (coefficients).
    pub fn cols(&self) -> usize {
        self.names.len()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let p = self.names.len();
        &self.values[i * p..(i + 1) * p]
    }

    /// The rows `keep` (in that order) as a new design.
    pub fn select(&self, keep: &[usize]) -> Design {
        let mut values = Vec::with_capacity(keep.len() * self.cols());
        for &i in keep {
            values.extend_from_slice(self.row(i));
        }
        Design { names: self.names.clone(), rows: keep.len(), values }
    }
}

/// Sorted levels of a factor column and each row's level index.
fn factor_levels(column: &str, values: &Covariate) -> Result<(Vec<String>, Vec<usize>)> {
    let missing = |row: usize| SaeError::BadValue {
        row,
        column: column.to_string(),
        reason: "missing value in a covariate".into(),
    };
    match values {
        Covariate::Number(v) => {
            if let Some(row) = v.iter().position(|x| !x.is_finite()) {
                return Err(missing(row));
            }
            let mut levels: Vec<f64> = v.clone();
            levels.sort_by(f64::total_cmp);
            levels.dedup();
            let codes = v.iter().map(|x| levels.partition_point(|l| l < x)).collect();
            Ok((levels.iter().map(|l| format!("{l}")).collect(), codes))
        }
        Covariate::Text(v) => {
            if let Some(row) = v.iter().position(Option::is_none) {
                return Err(missing(row));
            }
            let set: BTreeSet<&str> = v.iter().flatten().map(String::as_str).collect();
            let mut levels: Vec<&str> = set.into_iter().collect();
            let numbers: Option<Vec<f64>> = levels.iter().map(|l| l.trim().parse::<f64>().ok()).collect();
            if let Some(numbers) = numbers {
                let mut order: Vec<usize> = (0..levels.len()).collect();
                order.sort_by(|&a, &b| numbers[a].total_cmp(&numbers[b]));
                levels = order.into_iter().map(|k| levels[k]).collect();
            }
            let index: std::collections::HashMap<&str, usize> =
                levels.iter().enumerate().map(|(k, l)| (*l, k)).collect();
            let codes = v.iter().flatten().map(|s| index[s.as_str()]).collect();
            Ok((levels.into_iter().map(String::from).collect(), codes))
        }
    }
}

/// Builds the design matrix of `formula`'s right-hand side over `rows` rows;
/// `column` gives a column's values by name.
///
/// ```
/// use urbis_sae::formula::{design, parse, Covariate};
/// let region = Covariate::Text(vec![Some("b".into()), Some("a".into()), Some("b".into())]);
/// let x = Covariate::Number(vec![1.0, 2.0, 3.0]);
/// let f = parse("~ x + factor(region)").unwrap();
/// let d = design(&f, 3, |c| match c { "x" => Some(&x), "region" => Some(&region), _ => None }).unwrap();
/// assert_eq!(d.names(), ["(Intercept)", "x", "factor(region)b"]);
/// assert_eq!(d.row(0), [1.0, 1.0, 1.0]);
/// assert_eq!(d.row(1), [1.0, 2.0, 0.0]);
/// ```
pub fn design<'a>(formula: &Formula, rows: usize, column: impl Fn(&str) -> Option<&'a Covariate>) -> Result<Design> {
    let mut names = Vec::new();
    let mut cols: Vec<Vec<f64>> = Vec::new();
    if formula.intercept {
        names.push("(Intercept)".to_string());
        cols.push(vec![1.0; rows]);
    }
    let mut full_coding = !formula.intercept;
    for term in &formula.terms {
        let name = term.column();
        let values = column(name).ok_or_else(|| SaeError::MissingColumn(name.to_string()))?;
        if values.len() != rows {
            return Err(SaeError::Shape(format!("column '{name}' has {} values for {rows} rows", values.len())));
        }
        match term {
            Term::Numeric(_) => {
                let Covariate::Number(v) = values else {
                    return Err(SaeError::Formula {
                        formula: formula.text.clone(),
                        reason: format!(
                            "column '{name}' is not numeric: write factor({name}) for a categorical column"
                        ),
                    });
                };
                if let Some(row) = v.iter().position(|x| !x.is_finite()) {
                    return Err(SaeError::BadValue {
                        row,
                        column: name.to_string(),
                        reason: if v[row].is_nan() {
                            "missing value in a covariate".into()
                        } else {
                            format!("{} is not a finite number", v[row])
                        },
                    });
                }
                names.push(name.to_string());
                cols.push(v.clone());
            }
            Term::Factor(_) => {
                let (levels, codes) = factor_levels(name, values)?;
                let first = if full_coding { 0 } else { 1 };
                full_coding = false;
                for (k, level) in levels.iter().enumerate().skip(first) {
                    names.push(format!("factor({name}){level}"));
                    cols.push(codes.iter().map(|&c| if c == k { 1.0 } else { 0.0 }).collect());
                }
            }
        }
    }
    let p = names.len();
    let mut values = vec![0.0; rows * p];
    for (j, col) in cols.iter().enumerate() {
        for (i, v) in col.iter().enumerate() {
            values[i * p + j] = *v;
        }
    }
    Design::from_rows(names, rows, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        let f = parse("y ~ x1 + factor(x2)").unwrap();
        assert_eq!(f.response.as_deref(), Some("y"));
        assert!(f.intercept);
        assert_eq!(f.terms, [Term::Numeric("x1".into()), Term::Factor("x2".into())]);
        assert!(!parse("~ 0 + x").unwrap().intercept);
        assert!(!parse("~ x - 1").unwrap().intercept);
        assert!(parse("~ 1").unwrap().terms.is_empty());
        assert_eq!(parse("~ `foreign share` + x + x").unwrap().terms.len(), 2);
    }

    #[test]
    fn rejects_what_it_cannot_do() {
        for bad in
            ["x1 + x2", "~", "~ x1 * x2", "~ log(x)", "~ x1 x2", "~ x +", "~ -x", "a + b ~ x", "~ factor(x", "~ 0"]
        {
            let err = parse(bad).unwrap_err();
            assert!(matches!(err, SaeError::Formula { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn factor_levels_sort_like_r() {
        let v = Covariate::Text(["10", "9", "2"].iter().map(|s| Some(s.to_string())).collect());
        let (levels, codes) = factor_levels("v", &v).unwrap();
        assert_eq!(levels, ["2", "9", "10"]);
        assert_eq!(codes, [2, 1, 0]);
    }

    #[test]
    fn without_intercept_the_first_factor_keeps_every_level() {
        let g = Covariate::Number(vec![1.0, 2.0, 2.0, 3.0]);
        let h = Covariate::Number(vec![1.0, 1.0, 2.0, 2.0]);
        let f = parse("~ factor(g) + factor(h) - 1").unwrap();
        let d = design(&f, 4, |c| if c == "g" { Some(&g) } else { Some(&h) }).unwrap();
        assert_eq!(d.names(), ["factor(g)1", "factor(g)2", "factor(g)3", "factor(h)2"]);
    }

    #[test]
    fn missing_covariates_name_their_row() {
        let x = Covariate::Number(vec![1.0, f64::NAN]);
        let err = design(&parse("~ x").unwrap(), 2, |_| Some(&x)).unwrap_err();
        assert_eq!(err.to_string(), "row 2, column 'x': missing value in a covariate");
    }
}
