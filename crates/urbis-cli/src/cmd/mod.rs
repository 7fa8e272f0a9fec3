//! One module per subcommand.

pub mod catalogue;
pub mod check;
pub mod estimate;
pub mod export;
pub mod import;
pub mod indicators;
pub mod map;
pub mod sae;
pub mod segregation;
pub mod serve;
pub mod synth;
pub mod token;
