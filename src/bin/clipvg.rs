//! The `clipvg` command line: batch access to everything the plugin does.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use clipvg::svg::Document;

#[derive(Parser)]
#[command(name = "clipvg", version, about = "Text-guided editing of vector graphics (CLIPVG)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show what clipvg sees in an SVG: canvas, shapes, and what it does not understand.
    Inspect {
        /// The SVG file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Install the plugin into a vector editor (Inkscape).
    Install(clipvg::plugin::install::InstallArgs),
    /// Remove the plugin from a vector editor.
    Uninstall(clipvg::plugin::install::UninstallArgs),
}

fn run(cli: Cli) -> clipvg::Result<()> {
    match cli.command {
        Command::Inspect { file, json } => {
            let doc = Document::open(&file)?;
            let report = clipvg::inspect::inspect(&doc)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report).expect("report serialises"));
            } else {
                print!("{}", report.to_text(50));
            }
            Ok(())
        }
        Command::Install(args) => clipvg::plugin::install::run_install(&args),
        Command::Uninstall(args) => clipvg::plugin::install::run_uninstall(&args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
