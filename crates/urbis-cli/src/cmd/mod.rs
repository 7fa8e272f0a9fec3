//! One module per subcommand.

pub mod estimate;
pub mod indicators;
pub mod synth;
