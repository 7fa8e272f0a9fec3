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
    pub fn push(&mut self, value: Option<&str>) {
        let code = match value {
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
        };
        self.column.codes.push(code);
    }

    pub fn finish(self) -> Column {
        Column::Text(self.column)
    }
}
