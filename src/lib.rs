//! clipvg
