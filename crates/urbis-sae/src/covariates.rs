//! Area-level covariate tables: one row per area, a column of area codes and
//! the columns a formula reads. `urbis sae` and the indicator pipeline's
//! `[[small_area]]` both read their tables through these functions (the
//! reading itself is `urbis_io`'s), so a table means the same in both.
//!
//! ```
//! use urbis_core::{Column, Frame, TextColumn};
//! use urbis_sae::covariates::{area_codes, columns_to_read, design_from_frame};
//! use urbis_sae::formula::parse;
//! let f = parse("~ share + factor(city)").unwrap();
//! assert_eq!(columns_to_read(&f), (vec!["share".to_string()], vec!["city".to_string()]));
//! let mut t = Frame::new("t.csv", 2);
//! t.push("code", Column::Text(TextColumn { codes: vec![0, 1], levels: vec!["D1".into(), "D2".into()] }));
//! t.push("share", Column::Number(vec![0.1, 0.3]));
//! t.push("city", Column::Text(TextColumn { codes: vec![0, 0], levels: vec!["A".into()] }));
//! assert_eq!(area_codes(&t, "code").unwrap(), ["D1", "D2"]);
//! assert_eq!(design_from_frame(&f, &t).unwrap().names(), ["(Intercept)", "share"]);
//! ```

use std::collections::HashMap;

use urbis_core::{Column, Frame};

use crate::error::{Result, SaeError};
use crate::formula::{design, Covariate, Design, Formula, Term};

/// The columns a formula reads, split by how to read them: numeric terms
/// as numbers, columns used only in `factor(COL)` as text (a factor of
/// numbers read as text sorts its levels numerically all the same).
pub fn columns_to_read(formula: &Formula) -> (Vec<String>, Vec<String>) {
    let numeric: Vec<String> = formula
        .terms
        .iter()
        .filter_map(|t| match t {
            Term::Numeric(c) => Some(c.clone()),
            Term::Factor(_) => None,
        })
        .collect();
    let mut factors: Vec<String> = Vec::new();
    for t in &formula.terms {
        if let Term::Factor(c) = t {
            if !numeric.contains(c) && !factors.contains(c) {
                factors.push(c.clone());
            }
        }
    }
    (numeric, factors)
}

/// The area codes of `column`, each present and unique. Errors name the
/// row (0-based in [`SaeError::BadValue`]).
pub fn area_codes(table: &Frame, column: &str) -> Result<Vec<String>> {
    let Some(Column::Text(t)) = table.column(column) else {
        return Err(match table.column(column) {
            None => SaeError::MissingColumn(column.to_string()),
            Some(_) => {
                SaeError::BadValue { row: 0, column: column.into(), reason: "area codes must be read as text".into() }
            }
        });
    };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::with_capacity(t.codes.len());
    for i in 0..t.codes.len() {
        let Some(code) = t.get(i) else {
            return Err(SaeError::BadValue {
                row: i,
                column: column.into(),
                reason: "the area code is missing".into(),
            });
        };
        if let Some(first) = seen.insert(code, i) {
            return Err(SaeError::BadValue {
                row: i,
                column: column.into(),
                reason: format!("area '{code}' appears again (first in row {})", first + 1),
            });
        }
        out.push(code.to_string());
    }
    Ok(out)
}

/// The design matrix of `formula` over the rows of `table`: numeric
/// columns as they are, text columns as factor levels.
pub fn design_from_frame(formula: &Formula, table: &Frame) -> Result<Design> {
    let mut values: HashMap<String, Covariate> = HashMap::new();
    for term in &formula.terms {
        let c = term.column();
        let v = match table.column(c) {
            None => return Err(SaeError::MissingColumn(c.to_string())),
            Some(Column::Number(v)) => Covariate::Number(v.clone()),
            Some(Column::Text(t)) => match term {
                Term::Factor(_) => Covariate::Text((0..t.codes.len()).map(|i| t.get(i).map(String::from)).collect()),
                Term::Numeric(_) => {
                    return Err(SaeError::Formula {
                        formula: formula.text.clone(),
                        reason: format!("column '{c}' is not numeric: write factor({c}) for a categorical column"),
                    })
                }
            },
        };
        values.insert(c.to_string(), v);
    }
    design(formula, table.n_rows(), |c| values.get(c))
}
