//! One module per subcommand.

pub mod check;
pub mod estimate;
pub mod indicators;
pub mod synth;
