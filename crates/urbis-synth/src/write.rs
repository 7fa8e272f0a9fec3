//! Writing blocks of rows as Parquet (columns encoded in parallel, one row
//! group per chunk) or CSV (blocks formatted in parallel, written in order).

use std::io::Write;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int32Array, Int64Array, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::arrow_writer::{compute_leaves, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;

use crate::model::{Model, NA};
use crate::{Block, Kind, SynthError};

/// Output columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Col {
    Year,
    District,
    HhId,
    PersonId,
    Stratum,
    Psu,
    PsuId,
    Weight,
    Sex,
    Age,
    Cob,
    Citizenship,
    CobFather,
    CobMother,
    YearsRes,
    Ilo,
    UnempMonths,
    Stapro,
    Temp,
    Ftpt,
    Isced,
    Isco,
    Educ4w,
    EqIncome,
    Tenure,
    Rooms,
    HhSize,
    Health,
    Rep(usize),
}

const ALL: [Col; 28] = [
    Col::Year,
    Col::District,
    Col::HhId,
    Col::PersonId,
    Col::Stratum,
    Col::Psu,
    Col::PsuId,
    Col::Weight,
    Col::Sex,
    Col::Age,
    Col::Cob,
    Col::Citizenship,
    Col::CobFather,
    Col::CobMother,
    Col::YearsRes,
    Col::Ilo,
    Col::UnempMonths,
    Col::Stapro,
    Col::Temp,
    Col::Ftpt,
    Col::Isced,
    Col::Isco,
    Col::Educ4w,
    Col::EqIncome,
    Col::Tenure,
    Col::Rooms,
    Col::HhSize,
    Col::Health,
];

/// The values of one column in one block.
enum Values<'a> {
    ConstInt(i32),
    ConstText(&'a str),
    Int(&'a [i32], bool),
    Long(&'a [i64]),
    Float(&'a [f64]),
    Country(&'a [u16]),
    Rep(usize),
}

impl Col {
    pub fn name(&self) -> String {
        match self {
            Col::Year => "year".into(),
            Col::District => "district".into(),
            Col::HhId => "hh_id".into(),
            Col::PersonId => "person_id".into(),
            Col::Stratum => "stratum".into(),
            Col::Psu => "psu".into(),
            Col::PsuId => "psu_id".into(),
            Col::Weight => "weight".into(),
            Col::Sex => "sex".into(),
            Col::Age => "age".into(),
            Col::Cob => "cob".into(),
            Col::Citizenship => "citizenship".into(),
            Col::CobFather => "cob_father".into(),
            Col::CobMother => "cob_mother".into(),
            Col::YearsRes => "years_res".into(),
            Col::Ilo => "ilo".into(),
            Col::UnempMonths => "unemp_months".into(),
            Col::Stapro => "stapro".into(),
            Col::Temp => "temp".into(),
            Col::Ftpt => "ftpt".into(),
            Col::Isced => "isced".into(),
            Col::Isco => "isco".into(),
            Col::Educ4w => "educ4w".into(),
            Col::EqIncome => "eq_income".into(),
            Col::Tenure => "tenure".into(),
            Col::Rooms => "rooms".into(),
            Col::HhSize => "hh_size".into(),
            Col::Health => "health".into(),
            Col::Rep(r) => format!("rep_{}", r + 1),
        }
    }

    fn in_kind(&self, kind: Kind) -> bool {
        let lfs_only = matches!(self, Col::UnempMonths | Col::Stapro | Col::Temp | Col::Ftpt | Col::Isco | Col::Educ4w);
        let silc_only = matches!(self, Col::EqIncome | Col::Tenure | Col::Rooms | Col::Health);
        match kind {
            Kind::Both => true,
            Kind::Lfs => !silc_only,
            Kind::Silc => !lfs_only,
        }
    }

    fn data_type(&self) -> DataType {
        match self {
            Col::District | Col::Cob | Col::Citizenship | Col::CobFather | Col::CobMother => DataType::Utf8,
            Col::HhId | Col::PersonId | Col::PsuId => DataType::Int64,
            Col::Weight | Col::EqIncome | Col::Rep(_) => DataType::Float64,
            _ => DataType::Int32,
        }
    }

    fn nullable(&self) -> bool {
        matches!(
            self,
            Col::YearsRes
                | Col::Ilo
                | Col::UnempMonths
                | Col::Stapro
                | Col::Temp
                | Col::Ftpt
                | Col::Isced
                | Col::Isco
                | Col::Educ4w
                | Col::Health
        )
    }

    fn values<'a>(&self, b: &'a Block, model: &'a Model) -> Values<'a> {
        let r = &b.rows;
        let s = &b.plan.stratum;
        match self {
            Col::Year => Values::ConstInt(s.year),
            Col::District => Values::ConstText(&model.areas[s.area].districts[s.district].code),
            Col::Stratum => Values::ConstInt(s.index as i32 + 1),
            Col::HhId => Values::Long(&r.hh_id),
            Col::PersonId => Values::Long(&r.person_id),
            Col::PsuId => Values::Long(&r.psu_id),
            Col::Psu => Values::Int(&r.psu, false),
            Col::Weight => Values::Float(&r.weight),
            Col::Sex => Values::Int(&r.sex, false),
            Col::Age => Values::Int(&r.age, false),
            Col::Cob => Values::Country(&r.cob),
            Col::Citizenship => Values::Country(&r.citizenship),
            Col::CobFather => Values::Country(&r.cob_father),
            Col::CobMother => Values::Country(&r.cob_mother),
            Col::YearsRes => Values::Int(&r.years_res, true),
            Col::Ilo => Values::Int(&r.ilo, true),
            Col::UnempMonths => Values::Int(&r.unemp_months, true),
            Col::Stapro => Values::Int(&r.stapro, true),
            Col::Temp => Values::Int(&r.temp, true),
            Col::Ftpt => Values::Int(&r.ftpt, true),
            Col::Isced => Values::Int(&r.isced, true),
            Col::Isco => Values::Int(&r.isco, true),
            Col::Educ4w => Values::Int(&r.educ4w, true),
            Col::EqIncome => Values::Float(&r.eq_income),
            Col::Tenure => Values::Int(&r.tenure, false),
            Col::Rooms => Values::Int(&r.rooms, false),
            Col::HhSize => Values::Int(&r.hh_size, false),
            Col::Health => Values::Int(&r.health, true),
            Col::Rep(r) => Values::Rep(*r),
        }
    }
}

/// The columns of a kind, then the replicate weights.
pub(crate) fn columns(kind: Kind, replicates: usize) -> Vec<Col> {
    ALL.iter().copied().filter(|c| c.in_kind(kind)).chain((0..replicates).map(Col::Rep)).collect()
}

/// Persons per chunk (Parquet row group): 2^20, fewer with many replicate
/// weights so a chunk stays near 256 MB in memory.
pub(crate) fn chunk_rows(replicates: usize) -> u64 {
    let bytes_per_row = 200 + 8 * replicates as u64;
    ((256u64 << 20) / bytes_per_row).clamp(1 << 16, 1 << 20)
}

/// Replicate weight r of row i of a block.
#[inline]
pub(crate) fn rep_weight(b: &Block, r: usize, i: usize) -> f64 {
    let plan = &b.plan;
    let n = plan.psu_persons.len();
    let psu = b.rows.psu[i] as usize - 1;
    b.rows.weight[i] * (plan.rep_counts[r * n + psu] as f64 * plan.rep_factor)
}

pub(crate) trait Sink: Send {
    fn write(&mut self, blocks: &[Block]) -> Result<(), SynthError>;
}

pub(crate) struct ParquetSink<'m, W: Write + Send> {
    writer: SerializedFileWriter<W>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    columns: Vec<Col>,
    model: &'m Model,
    row_groups: usize,
}

impl<'m, W: Write + Send> ParquetSink<'m, W> {
    pub fn new(out: W, columns: Vec<Col>, model: &'m Model, chunk_rows: u64) -> Result<Self, SynthError> {
        let fields: Vec<Field> = columns.iter().map(|c| Field::new(c.name(), c.data_type(), c.nullable())).collect();
        let schema = Arc::new(Schema::new(fields));
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(chunk_rows as usize * 2))
            .set_created_by("urbis-synth".into())
            .build();
        let (writer, factory) = ArrowWriter::try_new(out, schema.clone(), Some(props))?.into_serialized_writer()?;
        Ok(ParquetSink { writer, factory, schema, columns, model, row_groups: 0 })
    }

    pub fn finish(self) -> Result<(), SynthError> {
        let mut out = self.writer.into_inner()?;
        out.flush()?;
        Ok(())
    }
}

/// The Arrow array of one column of one block.
fn array(col: Col, b: &Block, model: &Model) -> ArrayRef {
    let n = b.rows.len();
    match col.values(b, model) {
        Values::ConstInt(v) => Arc::new(Int32Array::from_value(v, n)),
        Values::ConstText(s) => Arc::new(StringArray::from_iter_values(std::iter::repeat_n(s, n))),
        Values::Int(v, nullable) => {
            if nullable {
                Arc::new(v.iter().map(|&x| (x != NA).then_some(x)).collect::<Int32Array>())
            } else {
                Arc::new(Int32Array::from(v.to_vec()))
            }
        }
        Values::Long(v) => Arc::new(Int64Array::from(v.to_vec())),
        Values::Float(v) => Arc::new(Float64Array::from(v.to_vec())),
        Values::Country(v) => {
            let codes = &model.countries.codes;
            Arc::new(StringArray::from_iter_values(v.iter().map(|&c| codes[c as usize].as_str())))
        }
        Values::Rep(r) => Arc::new(Float64Array::from_iter_values((0..n).map(|i| rep_weight(b, r, i)))),
    }
}

impl<W: Write + Send> Sink for ParquetSink<'_, W> {
    fn write(&mut self, blocks: &[Block]) -> Result<(), SynthError> {
        if blocks.is_empty() {
            return Ok(());
        }
        let writers = self.factory.create_column_writers(self.row_groups)?;
        let model = self.model;
        let chunks = writers
            .into_par_iter()
            .zip(self.columns.par_iter())
            .zip(self.schema.fields().par_iter())
            .map(|((mut w, &col), field)| {
                for b in blocks {
                    let array = array(col, b, model);
                    for leaf in compute_leaves(field, &array)? {
                        w.write(&leaf)?;
                    }
                }
                w.close()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut rg = self.writer.next_row_group()?;
        for c in chunks {
            c.append_to_row_group(&mut rg)?;
        }
        rg.close()?;
        self.row_groups += 1;
        Ok(())
    }
}

pub(crate) struct CsvSink<'m, W: Write + Send> {
    out: W,
    columns: Vec<Col>,
    model: &'m Model,
}

impl<'m, W: Write + Send> CsvSink<'m, W> {
    pub fn new(mut out: W, columns: Vec<Col>, model: &'m Model) -> Result<Self, SynthError> {
        let header: Vec<String> = columns.iter().map(|c| c.name()).collect();
        out.write_all(header.join(",").as_bytes())?;
        out.write_all(b"\n")?;
        Ok(CsvSink { out, columns, model })
    }

    pub fn finish(mut self) -> Result<(), SynthError> {
        self.out.flush()?;
        Ok(())
    }
}

/// One block as CSV lines.
fn format(columns: &[Col], b: &Block, model: &Model) -> Vec<u8> {
    use std::fmt::Write as _;
    let n = b.rows.len();
    let values: Vec<Values> = columns.iter().map(|c| c.values(b, model)).collect();
    let codes = &model.countries.codes;
    let mut s = String::with_capacity(n * (120 + 12 * values.len()));
    for i in 0..n {
        for (j, v) in values.iter().enumerate() {
            if j > 0 {
                s.push(',');
            }
            let _ = match v {
                Values::ConstInt(x) => write!(s, "{x}"),
                Values::ConstText(t) => {
                    s.push_str(t);
                    Ok(())
                }
                Values::Int(x, _) => {
                    if x[i] != NA {
                        let _ = write!(s, "{}", x[i]);
                    }
                    Ok(())
                }
                Values::Long(x) => write!(s, "{}", x[i]),
                Values::Float(x) => write!(s, "{}", x[i]),
                Values::Country(x) => {
                    s.push_str(&codes[x[i] as usize]);
                    Ok(())
                }
                Values::Rep(r) => write!(s, "{}", rep_weight(b, *r, i)),
            };
        }
        s.push('\n');
    }
    s.into_bytes()
}

impl<W: Write + Send> Sink for CsvSink<'_, W> {
    fn write(&mut self, blocks: &[Block]) -> Result<(), SynthError> {
        let (columns, model) = (&self.columns, self.model);
        let texts: Vec<Vec<u8>> = blocks.par_iter().map(|b| format(columns, b, model)).collect();
        for t in texts {
            self.out.write_all(&t)?;
        }
        Ok(())
    }
}
