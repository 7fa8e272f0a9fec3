//! Conditions on canonical variables, the building block of indicator
//! definitions: `age >= 20 and age <= 64`, `labour_status == "employed"`,
//! `education in [5, 6, 7, 8]`, `not (training == 1)`.
//!
//! Grammar: `or := and ("or" and)*`, `and := not ("and" not)*`,
//! `not := "not" not | "(" or ")" | comparison`, `comparison := NAME op LITERAL
//! | NAME "in" "[" LITERAL ("," LITERAL)* "]"` with `op` one of
//! `== != < <= > >=`. Comparisons with a missing value are unknown, and
//! `and`/`or`/`not` follow three-valued (Kleene) logic.

use urbis_core::{Column, Frame, MISSING_CODE};

/// Truth of a condition for one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    False,
    True,
    Unknown,
}

impl Truth {
    fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(f64),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Compare {
        variable: String,
        op: Op,
        value: Literal,
    },
    In {
        variable: String,
        values: Vec<Literal>,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// Always true (an empty condition).
    All,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Number(f64),
    Text(String),
    Op(Op),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

fn tokens(src: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => (out.push(Token::LParen), i += 1).1,
            ')' => (out.push(Token::RParen), i += 1).1,
            '[' => (out.push(Token::LBracket), i += 1).1,
            ']' => (out.push(Token::RBracket), i += 1).1,
            ',' => (out.push(Token::Comma), i += 1).1,
            '=' | '!' | '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (op, len) = match (c, next) {
                    ('=', Some('=')) => (Op::Eq, 2),
                    ('!', Some('=')) => (Op::Ne, 2),
                    ('<', Some('=')) => (Op::Le, 2),
                    ('>', Some('=')) => (Op::Ge, 2),
                    ('<', _) => (Op::Lt, 1),
                    ('>', _) => (Op::Gt, 1),
                    _ => return Err(format!("unexpected '{c}' at position {}", i + 1)),
                };
                out.push(Token::Op(op));
                i += len;
            }
            '"' | '\'' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&d| d == c)
                    .ok_or_else(|| format!("unterminated text starting at position {}", i + 1))?;
                out.push(Token::Text(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            c if c.is_ascii_digit() || c == '-' || c == '.' => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == 'e') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let x = text.parse().map_err(|_| format!("'{text}' is not a number"))?;
                out.push(Token::Number(x));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Token::Name(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected '{other}' at position {}", i + 1)),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Name(n)) if n == word)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.not()?;
        while self.keyword("and") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.keyword("not") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        if self.peek() == Some(&Token::LParen) {
            self.at += 1;
            let e = self.or()?;
            return match self.next() {
                Some(Token::RParen) => Ok(e),
                _ => Err("missing ')'".into()),
            };
        }
        self.comparison()
    }

    fn literal(&mut self) -> Result<Literal, String> {
        match self.next() {
            Some(Token::Number(x)) => Ok(Literal::Number(x)),
            Some(Token::Text(t)) => Ok(Literal::Text(t)),
            other => Err(format!("expected a number or a quoted text, found {}", describe(other))),
        }
    }

    fn comparison(&mut self) -> Result<Expr, String> {
        let variable = match self.next() {
            Some(Token::Name(n)) => n,
            other => return Err(format!("expected a variable name, found {}", describe(other))),
        };
        if self.keyword("in") {
            self.at += 1;
            if self.next() != Some(Token::LBracket) {
                return Err("expected '[' after 'in'".into());
            }
            let mut values = vec![self.literal()?];
            loop {
                match self.next() {
                    Some(Token::Comma) => values.push(self.literal()?),
                    Some(Token::RBracket) => break,
                    other => return Err(format!("expected ',' or ']', found {}", describe(other))),
                }
            }
            return Ok(Expr::In { variable, values });
        }
        let op = match self.next() {
            Some(Token::Op(op)) => op,
            other => return Err(format!("expected a comparison after '{variable}', found {}", describe(other))),
        };
        Ok(Expr::Compare { variable, op, value: self.literal()? })
    }
}

fn describe(t: Option<Token>) -> String {
    match t {
        None => "the end".into(),
        Some(Token::Name(n)) => format!("'{n}'"),
        Some(Token::Number(x)) => format!("{x}"),
        Some(Token::Text(t)) => format!("\"{t}\""),
        Some(other) => format!("{other:?}"),
    }
}

impl Expr {
    /// Parses a condition; an empty string is always true.
    pub fn parse(src: &str) -> Result<Expr, String> {
        let tokens = tokens(src)?;
        if tokens.is_empty() {
            return Ok(Expr::All);
        }
        let mut p = Parser { tokens, at: 0 };
        let e = p.or()?;
        match p.peek() {
            None => Ok(e),
            Some(_) => Err(format!("unexpected {} after a complete condition", describe(p.next()))),
        }
    }

    /// The variables the condition reads.
    pub fn variables(&self) -> Vec<&str> {
        match self {
            Expr::Compare { variable, .. } | Expr::In { variable, .. } => vec![variable],
            Expr::And(a, b) | Expr::Or(a, b) => {
                let mut v = a.variables();
                v.extend(b.variables());
                v
            }
            Expr::Not(a) => a.variables(),
            Expr::All => Vec::new(),
        }
    }

    /// Evaluates the condition on every row of `frame`; the variables must exist.
    pub fn evaluate(&self, frame: &Frame) -> Result<Vec<Truth>, String> {
        let n = frame.n_rows();
        Ok(match self {
            Expr::All => vec![Truth::True; n],
            Expr::Compare { variable, op, value } => match column(frame, variable)? {
                Column::Number(v) => compare_numbers(v, *op, value),
                text => by_row(text, |x| compare(x, *op, value)),
            },
            Expr::In { variable, values } => match column(frame, variable)? {
                Column::Number(v) => values.iter().fold(vec![Truth::False; n], |acc, value| {
                    acc.into_iter().zip(compare_numbers(v, Op::Eq, value)).map(|(a, b)| a.or(b)).collect()
                }),
                text => by_row(text, |x| values.iter().fold(Truth::False, |acc, v| acc.or(compare(x, Op::Eq, v)))),
            },
            Expr::And(a, b) => a.evaluate(frame)?.into_iter().zip(b.evaluate(frame)?).map(|(x, y)| x.and(y)).collect(),
            Expr::Or(a, b) => a.evaluate(frame)?.into_iter().zip(b.evaluate(frame)?).map(|(x, y)| x.or(y)).collect(),
            Expr::Not(a) => a.evaluate(frame)?.into_iter().map(Truth::not).collect(),
        })
    }
}

fn column<'f>(frame: &'f Frame, variable: &str) -> Result<&'f Column, String> {
    frame.column(variable).ok_or_else(|| format!("unknown variable '{variable}' (known: {})", frame.names().join(", ")))
}

/// One value of a column.
#[derive(Clone, Copy)]
enum Value<'a> {
    Number(f64),
    /// `None`: missing.
    Text(Option<&'a str>),
}

/// `test` of every row's value; for a text column, once per distinct code
/// and then looked up for each row.
fn by_row(column: &Column, test: impl Fn(Value) -> Truth) -> Vec<Truth> {
    match column {
        Column::Number(v) => v.iter().map(|&x| test(Value::Number(x))).collect(),
        Column::Text(t) => {
            let by_code: Vec<Truth> = t.levels.iter().map(|l| test(Value::Text(Some(l)))).collect();
            let missing = test(Value::Text(None));
            t.codes.iter().map(|&c| if c == MISSING_CODE { missing } else { by_code[c as usize] }).collect()
        }
    }
}

/// [`compare`] of every value of a numeric column, with the literal read
/// once and the operator chosen once (the same truths, row by row).
fn compare_numbers(v: &[f64], op: Op, literal: &Literal) -> Vec<Truth> {
    let y = match literal {
        Literal::Number(y) => *y,
        Literal::Text(x) => match x.trim().parse::<f64>() {
            Ok(y) => y,
            // A number is never equal to a text that is not one.
            Err(_) => {
                let other = if op == Op::Ne { Truth::True } else { Truth::False };
                return v.iter().map(|x| if x.is_nan() { Truth::Unknown } else { other }).collect();
            }
        },
    };
    if y.is_nan() {
        return vec![Truth::Unknown; v.len()];
    }
    let truths = |holds: fn(f64, f64) -> bool| -> Vec<Truth> {
        v.iter()
            .map(|&x| match (x.is_nan(), holds(x, y)) {
                (true, _) => Truth::Unknown,
                (false, true) => Truth::True,
                (false, false) => Truth::False,
            })
            .collect()
    };
    match op {
        Op::Eq => truths(|x, y| x == y),
        Op::Ne => truths(|x, y| x != y),
        Op::Lt => truths(|x, y| x < y),
        Op::Le => truths(|x, y| x <= y),
        Op::Gt => truths(|x, y| x > y),
        Op::Ge => truths(|x, y| x >= y),
    }
}

fn compare(value: Value, op: Op, literal: &Literal) -> Truth {
    let ordering = match (value, literal) {
        (Value::Number(v), Literal::Number(x)) => {
            if v.is_nan() {
                return Truth::Unknown;
            }
            v.partial_cmp(x)
        }
        (Value::Text(t), Literal::Text(x)) => match t {
            None => return Truth::Unknown,
            Some(s) => Some(s.cmp(x.as_str())),
        },
        (Value::Text(t), Literal::Number(x)) => match t {
            None => return Truth::Unknown,
            Some(s) => match s.trim().parse::<f64>() {
                Ok(y) => y.partial_cmp(x),
                Err(_) => return if op == Op::Ne { Truth::True } else { Truth::False },
            },
        },
        (Value::Number(v), Literal::Text(x)) => {
            if v.is_nan() {
                return Truth::Unknown;
            }
            match x.trim().parse::<f64>() {
                Ok(y) => v.partial_cmp(&y),
                Err(_) => return if op == Op::Ne { Truth::True } else { Truth::False },
            }
        }
    };
    let Some(o) = ordering else { return Truth::Unknown };
    use std::cmp::Ordering::*;
    let holds = match op {
        Op::Eq => o == Equal,
        Op::Ne => o != Equal,
        Op::Lt => o == Less,
        Op::Le => o != Greater,
        Op::Gt => o == Greater,
        Op::Ge => o != Less,
    };
    if holds {
        Truth::True
    } else {
        Truth::False
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use urbis_core::TextColumn;

    fn frame() -> Frame {
        let mut f = Frame::new("t", 4);
        f.push("age", Column::Number(vec![19.0, 30.0, f64::NAN, 64.0]));
        f.push(
            "status",
            Column::Text(TextColumn {
                codes: vec![0, 1, 0, urbis_core::MISSING_CODE],
                levels: vec!["employed".into(), "inactive".into()],
            }),
        );
        f
    }

    #[test]
    fn age_band_with_missing_values() {
        let e = Expr::parse("age >= 20 and age <= 64").unwrap();
        assert_eq!(e.evaluate(&frame()).unwrap(), vec![Truth::False, Truth::True, Truth::Unknown, Truth::True]);
    }

    #[test]
    fn kleene_logic_and_sets() {
        let e = Expr::parse("status in ['employed'] or age < 20").unwrap();
        assert_eq!(e.evaluate(&frame()).unwrap(), vec![Truth::True, Truth::False, Truth::True, Truth::Unknown]);
        let e = Expr::parse("not (status == \"employed\")").unwrap();
        assert_eq!(e.evaluate(&frame()).unwrap()[1], Truth::True);
    }

    #[test]
    fn numeric_columns_compare_as_row_by_row() {
        let v = vec![-1.5, 0.0, -0.0, 2.0, f64::NAN, 19.0, 20.0, 64.0, 65.0, f64::INFINITY];
        let literals = [
            Literal::Number(0.0),
            Literal::Number(20.0),
            Literal::Number(f64::NAN),
            Literal::Text(" 64 ".into()),
            Literal::Text("x".into()),
        ];
        for op in [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge] {
            for literal in &literals {
                let one_by_one = by_row(&Column::Number(v.clone()), |x| compare(x, op, literal));
                assert_eq!(compare_numbers(&v, op, literal), one_by_one, "{op:?} {literal:?}");
            }
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(Expr::parse("age >= ").unwrap_err().contains("expected a number"));
        assert!(Expr::parse("age 20").unwrap_err().contains("expected a comparison"));
        assert!(Expr::parse("(age > 1").unwrap_err().contains("')'"));
        let e = Expr::parse("agee > 1").unwrap();
        assert!(e.evaluate(&frame()).unwrap_err().contains("unknown variable 'agee'"));
    }
}
