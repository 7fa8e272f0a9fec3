//! One module per subcommand.

pub mod estimate;
