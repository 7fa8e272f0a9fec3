//! A deterministic synthetic stratified cluster sample, for the benchmark in `bench/`.
//!
//! ```text
//! cargo run --release -p urbis-cli --example synth_sample -- ROWS OUT.parquet [--reps N] [--csv OUT.csv] [--seed S]
//! ```
//!
//! Columns:
//! - `stratum` (1..=50) and `psu` (1..=n_h, numbered within the stratum: use `--nest`);
//!   rows are ordered by stratum and PSU, with 10 to 39 rows per PSU (about 20 on average);
//! - `weight`: positive, varies by stratum, PSU and row; a multiple of 1/4;
//! - `domain` (1..=100, from about 5.6 % down to 0.6 % of the rows) and
//!   `region` (1..=9, a grouping of strata);
//! - `y1` (continuous, a multiple of 1/16), `y2` (0/1), `y3` (a count, about 5 % missing);
//! - `income`: lognormal-like, positive whole numbers (so there are ties, as in real incomes);
//! - `rep_1..rep_N` (default N = 80, `--reps 0` for none): full bootstrap replicate weights,
//!   `weight × m`, where m is how often the row's PSU was drawn when n_h PSUs are drawn with
//!   replacement from the n_h PSUs of its stratum. m is constant within a PSU.
//!
//! Every value is exactly representable in binary floating point and printed exactly in the
//! CSV, so a program reading the CSV gets the very numbers of the Parquet file.
//!
//! The output depends only on ROWS, N and the seed. Rows are produced and written in chunks
//! (Parquet row groups of 256 Ki rows), so memory stays a few hundred MB whatever ROWS is.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int32Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

const STRATA: usize = 50;
const DOMAINS: usize = 100;
const REGIONS: usize = 9;
const MIN_PSU: usize = 10;
const MAX_PSU: usize = 30;
const CHUNK: usize = 1 << 16;
const ROW_GROUP: usize = 1 << 18;

/// splitmix64: tiny, fast, good enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64, sub: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F) ^ sub.wrapping_mul(0xE703_7ED1_A0B4_28DB));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in 0..n.
    fn below(&mut self, n: usize) -> usize {
        ((self.next() as u128 * n as u128) >> 64) as usize
    }

    /// Standard normal (Box–Muller, one of the pair).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

struct Args {
    rows: usize,
    out: String,
    reps: usize,
    csv: Option<String>,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let usage = "usage: synth_sample ROWS OUT.parquet [--reps N (default 80, 0 = none)] [--csv OUT.csv] [--seed S]";
    let mut it = std::env::args().skip(1);
    let mut positional = Vec::new();
    let (mut reps, mut csv, mut seed) = (80usize, None, 20260101u64);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value\n{usage}"));
        match a.as_str() {
            "--reps" => reps = value("--reps")?.parse().map_err(|e| format!("--reps: {e}"))?,
            "--csv" => csv = Some(value("--csv")?),
            "--seed" => seed = value("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "-h" | "--help" => return Err(usage.into()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{usage}")),
            _ => positional.push(a),
        }
    }
    if positional.len() != 2 {
        return Err(usage.into());
    }
    // Accept 1e6, 10M, 1_000_000.
    let r = positional[0].replace('_', "");
    let rows = if let Some(m) = r.strip_suffix(['M', 'm']) {
        m.parse::<f64>().map(|x| (x * 1e6) as usize)
    } else if let Some(k) = r.strip_suffix(['K', 'k']) {
        k.parse::<f64>().map(|x| (x * 1e3) as usize)
    } else {
        r.parse::<f64>().map(|x| x as usize)
    }
    .map_err(|e| format!("ROWS '{}': {e}", positional[0]))?;
    if rows < STRATA * 40 {
        return Err(format!("ROWS must be at least {} (two PSUs per stratum)", STRATA * 40));
    }
    Ok(Args { rows, out: positional[1].clone(), reps, csv, seed })
}

/// The rows of one chunk, column by column.
#[derive(Default)]
struct Chunk {
    stratum: Vec<i32>,
    psu: Vec<i32>,
    weight: Vec<f64>,
    domain: Vec<i32>,
    region: Vec<i32>,
    y1: Vec<f64>,
    y2: Vec<i32>,
    y3: Vec<Option<i32>>,
    income: Vec<f64>,
    /// Replicate weights, one vector per replicate.
    reps: Vec<Vec<f64>>,
}

impl Chunk {
    fn len(&self) -> usize {
        self.stratum.len()
    }

    fn clear(&mut self) {
        self.stratum.clear();
        self.psu.clear();
        self.weight.clear();
        self.domain.clear();
        self.region.clear();
        self.y1.clear();
        self.y2.clear();
        self.y3.clear();
        self.income.clear();
        self.reps.iter_mut().for_each(Vec::clear);
    }
}

/// Writes a multiple of 1/4 exactly ("123", "123.25", "123.5", "123.75").
fn push_quarters(s: &mut String, x: f64) {
    let q = (x * 4.0) as i64;
    debug_assert_eq!(q as f64 / 4.0, x);
    let _ = std::fmt::Write::write_fmt(s, format_args!("{}", q / 4));
    s.push_str(["", ".25", ".5", ".75"][(q % 4) as usize]);
}

struct Sink {
    writer: ArrowWriter<File>,
    schema: Arc<Schema>,
    csv: Option<BufWriter<File>>,
    line: String,
}

impl Sink {
    fn write(&mut self, c: &Chunk) -> Result<(), Box<dyn std::error::Error>> {
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from(c.stratum.clone())),
            Arc::new(Int32Array::from(c.psu.clone())),
            Arc::new(Float64Array::from(c.weight.clone())),
            Arc::new(Int32Array::from(c.domain.clone())),
            Arc::new(Int32Array::from(c.region.clone())),
            Arc::new(Float64Array::from(c.y1.clone())),
            Arc::new(Int32Array::from(c.y2.clone())),
            Arc::new(Int32Array::from(c.y3.clone())),
            Arc::new(Float64Array::from(c.income.clone())),
        ];
        columns.extend(c.reps.iter().map(|r| Arc::new(Float64Array::from(r.clone())) as ArrayRef));
        self.writer.write(&RecordBatch::try_new(self.schema.clone(), columns)?)?;
        if let Some(out) = &mut self.csv {
            for i in 0..c.len() {
                let s = &mut self.line;
                s.clear();
                use std::fmt::Write as _;
                write!(s, "{},{},", c.stratum[i], c.psu[i])?;
                push_quarters(s, c.weight[i]);
                write!(s, ",{},{},{},{},", c.domain[i], c.region[i], c.y1[i], c.y2[i])?;
                if let Some(y3) = c.y3[i] {
                    write!(s, "{y3}")?;
                }
                write!(s, ",{}", c.income[i])?;
                for r in &c.reps {
                    s.push(',');
                    push_quarters(s, r[i]);
                }
                s.push('\n');
                out.write_all(s.as_bytes())?;
            }
        }
        Ok(())
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut fields = vec![
        Field::new("stratum", DataType::Int32, false),
        Field::new("psu", DataType::Int32, false),
        Field::new("weight", DataType::Float64, false),
        Field::new("domain", DataType::Int32, false),
        Field::new("region", DataType::Int32, false),
        Field::new("y1", DataType::Float64, false),
        Field::new("y2", DataType::Int32, false),
        Field::new("y3", DataType::Int32, true),
        Field::new("income", DataType::Float64, false),
    ];
    fields.extend((1..=args.reps).map(|r| Field::new(format!("rep_{r}"), DataType::Float64, false)));
    let names: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
    let schema = Arc::new(Schema::new(fields));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .build();
    let writer = ArrowWriter::try_new(File::create(&args.out)?, schema.clone(), Some(props))?;
    let csv = match &args.csv {
        Some(path) => {
            let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
            writeln!(w, "{}", names.join(","))?;
            Some(w)
        }
        None => None,
    };
    let mut sink = Sink { writer, schema, csv, line: String::new() };
    let mut chunk = Chunk { reps: vec![Vec::with_capacity(CHUNK); args.reps], ..Default::default() };
    let (mut total_psu, mut total_rows) = (0usize, 0usize);

    for h in 0..STRATA {
        let rows_h = args.rows / STRATA + usize::from(h < args.rows % STRATA);
        let region = (h % REGIONS + 1) as i32;
        // Structure and bootstrap counts: one stream per stratum.
        let mut rng = Rng::new(args.seed, h as u64, 0);
        let mut sizes = Vec::new();
        let mut left = rows_h;
        while left > 0 {
            let mut s = (MIN_PSU + rng.below(MAX_PSU - MIN_PSU + 1)).min(left);
            if left - s < MIN_PSU {
                s = left;
            }
            sizes.push(s);
            left -= s;
        }
        let n_h = sizes.len();
        // Bootstrap: for each replicate draw n_h PSUs with replacement; m = times drawn.
        let mut times = vec![0u16; n_h * args.reps];
        for r in 0..args.reps {
            for _ in 0..n_h {
                times[rng.below(n_h) * args.reps + r] += 1;
            }
        }
        // Row values: a second stream per stratum.
        let mut rng = Rng::new(args.seed, h as u64, 1);
        let stratum_weight = 150.0 + 50.0 * (h % 7) as f64 + 2.0 * h as f64;
        let region_effect = 0.05 * (h % REGIONS) as f64 - 0.2;
        for (p, &size) in sizes.iter().enumerate() {
            let psu_weight = stratum_weight * (0.7 + 0.6 * rng.uniform());
            let psu_y = rng.normal();
            let psu_income = rng.normal();
            for _ in 0..size {
                let w = ((psu_weight * (0.8 + 0.45 * rng.uniform())) * 4.0).round() / 4.0;
                let domain = 1 + ((DOMAINS as f64 * rng.uniform().powf(1.6)) as usize).min(DOMAINS - 1);
                let d = domain as f64;
                let y1 = ((50.0 + 3.0 * psu_y + 0.05 * d + 10.0 * rng.normal()) * 16.0).round() / 16.0;
                let y2 = i32::from(rng.uniform() < 0.2 + 0.004 * d);
                let y3 = (-3.0 * rng.uniform().ln() + 0.5 * psu_y.max(0.0)).floor() as i32;
                let y3 = if rng.uniform() < 0.05 { None } else { Some(y3) };
                let log_income = 9.9 + region_effect + 0.25 * psu_income - 0.002 * d + 0.6 * rng.normal();
                let income = log_income.exp().round().max(1.0);
                chunk.stratum.push(h as i32 + 1);
                chunk.psu.push(p as i32 + 1);
                chunk.weight.push(w);
                chunk.domain.push(domain as i32);
                chunk.region.push(region);
                chunk.y1.push(y1);
                chunk.y2.push(y2);
                chunk.y3.push(y3);
                chunk.income.push(income);
                for (r, col) in chunk.reps.iter_mut().enumerate() {
                    col.push(w * f64::from(times[p * args.reps + r]));
                }
                if chunk.len() == CHUNK {
                    sink.write(&chunk)?;
                    chunk.clear();
                }
            }
        }
        total_psu += n_h;
        total_rows += rows_h;
    }
    if chunk.len() > 0 {
        sink.write(&chunk)?;
    }
    sink.writer.close()?;
    if let Some(mut w) = sink.csv {
        w.flush()?;
    }
    eprintln!(
        "synth_sample: {} rows, {} strata, {} PSUs, {} domains, {} regions, {} replicates -> {}{}",
        total_rows,
        STRATA,
        total_psu,
        DOMAINS,
        REGIONS,
        args.reps,
        args.out,
        args.csv.as_deref().map(|c| format!(" and {c}")).unwrap_or_default()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synth_sample: {e}");
            ExitCode::FAILURE
        }
    }
}
