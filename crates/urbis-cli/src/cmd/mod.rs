//! One module per subcommand.

pub mod estimate;
pub mod indicators;
pub mod segregation;
pub mod synth;
