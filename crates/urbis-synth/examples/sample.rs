//! Prints a small synthetic sample as CSV on stdout:
//!
//! ```text
//! cargo run -p urbis-synth --example sample -- [PERSONS] [AREA,AREA...] > sample.csv
//! ```

use urbis_synth::{Config, Format, Generator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let persons = args.next().map_or(Ok(2_400), |a| a.parse())?;
    let areas = args.next().unwrap_or_else(|| "AT130,DE212".into()).split(',').map(str::to_string).collect();
    let generator = Generator::new(Config { persons, areas, districts: 3, ..Config::default() })?;
    eprint!("{}", generator.hierarchy_csv());
    generator.write(Format::Csv, std::io::BufWriter::new(std::io::stdout()), None)?;
    Ok(())
}
