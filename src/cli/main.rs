//! The `clipvg` command line: batch access to everything the plugin does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use clipvg_cli::{clip, edit, install, vectorize};

use clipvg::compute::BackendChoice;
use clipvg::svg::Document;
use clipvg_document::Limits;

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
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Render an SVG to PNG with clipvg's differentiable rasterizer.
    Render {
        /// The SVG file.
        input: PathBuf,
        /// The PNG to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Output width in pixels (default: the canvas width; the other side keeps the aspect).
        #[arg(long)]
        width: Option<u32>,
        /// Output height in pixels.
        #[arg(long)]
        height: Option<u32>,
        /// Background: white, none (transparent) or a colour such as #rrggbb.
        #[arg(long, default_value = "white")]
        background: String,
        /// Where to rasterize: cpu, gpu (wgpu), or auto (a hardware GPU if present).
        #[arg(long, value_parser = clipvg_cli::named::named::<BackendChoice>(), default_value = "auto")]
        backend: BackendChoice,
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

/// `--limit NAME=VALUE` of the commands that read documents.
#[derive(clap::Args, Debug, Clone, Default)]
struct LimitArgs {
    /// Raise (or lower) one budget for what a document may make clipvg expand or allocate, e.g.
    /// `--limit depth=4096`; repeatable. Names and defaults: include/clipvg.h (an unknown name
    /// is refused with the list).
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    limit: Vec<String>,
}

impl LimitArgs {
    /// The default limits with every `--limit` applied.
    fn limits(&self) -> clipvg::Result<Limits> {
        let mut limits = Limits::default();
        self.apply(&mut limits)?;
        Ok(limits)
    }

    /// Every `--limit` applied over `limits` (the defaults, or a request file's values).
    fn apply(&self, limits: &mut Limits) -> clipvg::Result<()> {
        for item in &self.limit {
            let bad = |why: String| {
                clipvg::Error::InvalidInput(format!("--limit {}: {why}", clipvg::plugin::guard::echo(item)))
            };
            let (name, value) =
                item.split_once('=').ok_or_else(|| bad("expected NAME=VALUE, such as depth=4096".into()))?;
            let value: u64 = value
                .trim()
                .replace('_', "")
                .parse()
                .map_err(|_| bad("the value must be a whole number ≥ 0".into()))?;
            limits.set(name.trim(), value).map_err(bad)?;
        }
        Ok(())
    }
}

/// The most pixels `render` renders when no size is given (4096 × 4096): a larger canvas is
/// scaled down to it, aspect kept, with a note.
const DEFAULT_RENDER_PIXELS: u64 = 4096 * 4096;

/// The render size: the one asked for, else the canvas size scaled down (aspect kept) to at most
/// [`DEFAULT_RENDER_PIXELS`] (and the `render_pixels` limit, and the rasterizer's largest side),
/// with a note when it was. A size asked for beyond the `render_pixels` limit is an error.
fn render_size(
    canvas: (f64, f64),
    width: Option<u32>,
    height: Option<u32>,
    limits: &Limits,
    err: &mut dyn Write,
) -> clipvg::Result<(u32, u32)> {
    let (cw, ch) = canvas;
    let (w, h) = if width.is_none() && height.is_none() {
        let budget = DEFAULT_RENDER_PIXELS.min(limits.render_pixels).max(1) as f64;
        let side = clipvg::raster::MAX_SIDE as f64;
        let fit = (budget / (cw * ch)).sqrt().min(side / cw.max(ch));
        if fit < 1.0 && fit.is_finite() {
            let scaled = |v: f64| ((v * fit).floor() as u32).max(1);
            let (w, h) = clipvg::raster::output_size(cw, ch, Some(scaled(cw)), Some(scaled(ch)))?;
            let _ = writeln!(
                err,
                "note: the canvas is {cw:.0}×{ch:.0} px; rendering at {w}×{h} (at most {budget:.0} pixels unless you choose a size with --width/--height)"
            );
            (w, h)
        } else {
            clipvg::raster::output_size(cw, ch, None, None)?
        }
    } else {
        clipvg::raster::output_size(cw, ch, width, height)?
    };
    Limits::check("render_pixels", "pixels in the render", w as u64 * h as u64, limits.render_pixels)
        .map_err(clipvg::Error::Limit)?;
    Ok((w, h))
}

/// Checks the output before any work.
fn check_output(input: &Path, output: &Path) -> clipvg::Result<()> {
    clipvg::util::refuse_overwriting_input(input, output)?;
    clipvg::util::check_output(output)
}

fn run(cli: Cli) -> clipvg::Result<()> {
    match cli.command {
        Command::Inspect { file, json, limits } => {
            let limits = limits.limits()?;
            let doc = Document::open_with(&file, &limits, &mut clipvg_document::no_progress())?;
            let report = clipvg::inspect::inspect_with(&doc, &limits, &mut clipvg_document::no_progress())?;
            if json {
                let text = serde_json::to_string_pretty(&report)
                    .map_err(|e| clipvg::Error::InvalidInput(format!("report: {e}")))?;
                clipvg::util::print_stdout(&format!("{text}\n"))
            } else {
                clipvg::util::print_stdout(&report.to_text(50))
            }
        }
        Command::Render { input, output, width, height, background, backend, limits } => {
            let limits = limits.limits()?;
            let bg = clipvg::raster::parse_background(&background)?;
            check_output(&input, &output)?;
            let doc = Document::open_with(&input, &limits, &mut clipvg_document::no_progress())?;
            let options = clipvg::scene::BuildOptions { limits, ..Default::default() };
            let built = clipvg::scene::build_with(&doc, &options, &mut clipvg_document::no_progress())?;
            let (w, h) =
                render_size((built.canvas.width, built.canvas.height), width, height, &limits, &mut std::io::stderr())?;
            let img = clipvg::raster::render_with_limits(&built.scene, w, h, bg, backend, &limits)?;
            let mut png = Vec::new();
            img.to_rgba8()
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .map_err(|e| clipvg::Error::Image { path: output.clone(), message: e.to_string() })?;
            clipvg::util::write_atomic(&output, &png)?;
            Ok(())
        }
        Command::Edit { args, limits } => {
            limits.limits()?; // a bad --limit is refused before any work
            check_output(&args.input, &args.output)?;
            edit::run_with_limits(&args, &|l| limits.apply(l))
        }
        Command::Vectorize { args, limits } => {
            let limits = limits.limits()?;
            check_output(&args.input, &args.output)?;
            vectorize::run_with_limits(&args, &limits)
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
