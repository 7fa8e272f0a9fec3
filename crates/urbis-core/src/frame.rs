//! A small column store: the rows of one microdata file, only the columns asked for.

/// Code of a missing value in a [`TextColumn`].
pub const MISSING_CODE: u32 = u32::MAX;

/// Text values stored once each (`levels`) and referenced by index per row (`codes`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextColumn {
    pub codes: Vec<u32>,
    pub levels: Vec<String>,
}

impl TextColumn {
    /// The value of row `i`, `None` when missing.
    pub fn get(&self, i: usize) -> Option<&str> {
        match self.codes[i] {
            MISSING_CODE => None,
            c => Some(self.levels[c as usize].as_str()),
        }
    }
}

/// One column of data. Missing numbers are stored as NaN.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Number(Vec<f64>),
    Text(TextColumn),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Number(v) => v.len(),
            Column::Text(t) => t.codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Column::Number(v) => v[i].is_nan(),
            Column::Text(t) => t.codes[i] == MISSING_CODE,
        }
    }

    /// The value of row `i` as it would be written back to a file (missing is empty).
    pub fn display(&self, i: usize) -> String {
        match self {
            Column::Number(v) if v[i].is_nan() => String::new(),
            Column::Number(v) => format_number(v[i]),
            Column::Text(t) => t.get(i).unwrap_or("").to_string(),
        }
    }
}

/// Shortest round-tripping text for a number, without a trailing `.0` on integers.
pub fn format_number(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The rows of one source, with the columns that were read, in the order asked for.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// Where the rows came from (a file name), for messages.
    pub source: String,
    n_rows: usize,
    names: Vec<String>,
    columns: Vec<Column>,
}

impl Frame {
    pub fn new(source: impl Into<String>, n_rows: usize) -> Self {
        Frame { source: source.into(), n_rows, names: Vec::new(), columns: Vec::new() }
    }

    /// Adds a column; panics only on a programming error (length mismatch).
    pub fn push(&mut self, name: impl Into<String>, column: Column) {
        assert_eq!(column.len(), self.n_rows, "column length must match the frame");
        self.names.push(name.into());
        self.columns.push(column);
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.names.iter().position(|n| n == name).map(|i| &self.columns[i])
    }

    /// Removes a column and hands it over (to avoid copying large columns).
    pub fn take(&mut self, name: &str) -> Option<Column> {
        let i = self.names.iter().position(|n| n == name)?;
        self.names.remove(i);
        Some(self.columns.remove(i))
    }

    pub fn columns(&self) -> impl Iterator<Item = (&str, &Column)> {
        self.names.iter().map(String::as_str).zip(self.columns.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_print_without_decimals() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(-0.5), "-0.5");
        assert_eq!(format_number(1e20), "100000000000000000000");
    }

    #[test]
    fn text_column_reports_missing() {
        let t = TextColumn { codes: vec![0, MISSING_CODE], levels: vec!["a".into()] };
        assert_eq!(t.get(0), Some("a"));
        assert_eq!(t.get(1), None);
    }
}
