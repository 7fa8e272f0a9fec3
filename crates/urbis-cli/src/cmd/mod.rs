//! One module per subcommand.

pub mod check;
pub mod estimate;
pub mod indicators;
pub mod map;
pub mod sae;
pub mod segregation;
pub mod serve;
pub mod synth;
