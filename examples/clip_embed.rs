//! Temporary stand-in for the `clipvg` binary's `clip` and `weights` subcommands, until the main
//! command line mounts `clipvg::clip::cli`:
//!
//! ```text
//! cargo run --release --example clip_embed -- clip embed --model tests/fixtures/clip/A --text "a photo of a cat" --image x.png --json
//! cargo run --release --example clip_embed -- weights list
//! ```

use clap::{Parser, Subcommand};
use clipvg::clip::cli::{ClipCommand, WeightsCommand, run_clip, run_weights};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// CLIP embeddings.
    #[command(subcommand)]
    Clip(ClipCommand),
    /// Known checkpoints and the weights cache.
    #[command(subcommand)]
    Weights(WeightsCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Clip(c) => run_clip(c),
        Command::Weights(w) => run_weights(w),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
