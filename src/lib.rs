//! clipvg
pub mod clip; pub mod compute;
