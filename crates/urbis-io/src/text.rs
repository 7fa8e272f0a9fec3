//! Builders turning raw field values into typed columns.

use std::collections::HashMap;

use urbis_core::{Column, TextColumn, MISSING_CODE};

/// Parses a field as a finite number (surrounding spaces allowed).
pub(crate) fn parse_number(value: &str) -> Option<f64> {
    value.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Interns text values into a [`TextColumn`].
#[derive(Default)]
pub(crate) struct TextBuilder {
    index: HashMap<String, u32>,
    column: TextColumn,
}

impl TextBuilder {
    /// A builder with room for `rows` codes.
    pub fn with_capacity(rows: usize) -> Self {
        TextBuilder {
            index: HashMap::new(),
            column: TextColumn { codes: Vec::with_capacity(rows), levels: Vec::new() },
        }
    }

    pub fn push(&mut self, value: Option<&str>) {
        let code = self.code(value);
        self.push_code(code);
    }

    /// The code of a value, a new level when it is new.
    pub fn code(&mut self, value: Option<&str>) -> u32 {
        match value {
            None => MISSING_CODE,
            Some(v) => match self.index.get(v) {
                Some(&c) => c,
                None => {
                    let c = self.column.levels.len() as u32;
                    self.index.insert(v.to_string(), c);
                    self.column.levels.push(v.to_string());
                    c
                }
            },
        }
    }

    /// Appends a row with a code from [`Self::code`].
    pub fn push_code(&mut self, code: u32) {
        self.column.codes.push(code);
    }

    pub fn finish(self) -> Column {
        Column::Text(self.column)
    }
}
