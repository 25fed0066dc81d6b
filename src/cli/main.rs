//! The `clipvg` command line: batch access to everything the plugin does.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use clipvg_cli::limits::{LimitArgs, check_output};
use clipvg_cli::{clip, edit, inspect, install, render, vectorize};

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
        #[command(flatten)]
        args: inspect::InspectArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Render an SVG to PNG with clipvg's differentiable rasterizer.
    Render {
        #[command(flatten)]
        args: render::RenderArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Edit the selected shapes of an SVG until they match a prompt (CLIPVG).
    Edit {
        #[command(flatten)]
        args: edit::EditArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Vectorize a bitmap (or an SVG's <image> elements) into stacked rounds of editable paths.
    Vectorize {
        #[command(flatten)]
        args: vectorize::VectorizeArgs,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// CLIP itself: embeddings of prompts and images.
    Clip {
        #[command(subcommand)]
        command: clip::ClipCommand,
    },
    /// The CLIP checkpoints clipvg knows: list them, fetch and verify one.
    Weights {
        #[command(subcommand)]
        command: clip::WeightsCommand,
    },
    /// Install the plugin into a vector editor (Inkscape).
    Install(install::InstallArgs),
    /// Remove the plugin from a vector editor.
    Uninstall(install::UninstallArgs),
}

fn run(cli: Cli) -> clipvg::Result<()> {
    match cli.command {
        Command::Inspect { args, limits } => inspect::run(&args, &limits.limits()?),
        Command::Render { args, limits } => {
            limits.limits()?; // a bad --limit is refused before any work
            render::run_with_limits(&args, &|l| limits.apply(l))
        }
        Command::Edit { args, limits } => {
            limits.limits()?; // a bad --limit is refused before any work
            check_output(&args.input, &args.output)?;
            edit::run_with_limits(&args, &|l| limits.apply(l))
        }
        Command::Vectorize { args, limits } => {
            limits.limits()?; // a bad --limit is refused before any work
            check_output(&args.input, &args.output)?;
            vectorize::run_with_limits(&args, &|l| limits.apply(l))
        }
        Command::Clip { command } => Ok(clip::run_clip(&command)?),
        Command::Weights { command } => Ok(clip::run_weights(&command)?),
        Command::Install(args) => install::run_install(&args),
        Command::Uninstall(args) => install::run_uninstall(&args),
    }
}

/// Whether a panic is the standard library's answer to a closed or full stdout/stderr in a
/// `print!` of code that does not handle it.
fn is_print_failure(message: &str) -> bool {
    message.starts_with("failed printing to stdout") || message.starts_with("failed printing to stderr")
}

fn main() -> ExitCode {
    clipvg::util::remove_temp_files_on_signals();
    // `print!` panics when stdout is closed (`clipvg inspect --json | head -c1`): such a panic is
    // reported as one `error:` line below, not as a panic; every other panic still prints.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if !is_print_failure(message) {
            previous(info);
        }
    }));
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli)));
    let error = match result {
        Ok(Ok(())) => return ExitCode::SUCCESS,
        Ok(Err(e)) => e.to_string(),
        Err(payload) => {
            let message = clipvg::plugin::ffi::panic_message(payload);
            if !is_print_failure(&message) {
                std::panic::resume_unwind(Box::new(message));
            }
            format!("could not write the output: {}", message.trim_start_matches("failed printing to "))
        }
    };
    // stderr may be closed too: then the exit status alone says it.
    // Line breaks of clipvg's own messages stay; any other control character (echoed input) is
    // escaped, and each line is bounded.
    let lines: Vec<String> = error.split('\n').map(|line| clipvg::plugin::guard::escape(line, 2048)).collect();
    let _ = writeln!(std::io::stderr(), "error: {}", lines.join("\n"));
    ExitCode::FAILURE
}
