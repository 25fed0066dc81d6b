//! The `clipvg` command line's commands: clap arguments and the functions that run them, over
//! the engine (`clipvg`). `main.rs` only dispatches; the commands are a library so that the
//! integration tests can call them directly. clap and indicatif stop here: the plugin library
//! (`libclipvg`) does not link them.

pub mod clip;
pub mod edit;
pub mod edit_input;
pub mod inspect;
pub mod install;
pub mod limits;
pub mod named;
pub mod palette;
pub mod render;
pub mod request;
pub mod variations;
pub mod vectorize;
