//! The `clipvg` command line: batch access to everything the plugin does.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use clipvg::compute::BackendChoice;
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
        #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
        backend: BackendChoice,
    },
    /// Edit the selected shapes of an SVG until they match a prompt (CLIPVG).
    Edit(clipvg::edit::cli::EditArgs),
    /// Vectorize a bitmap (or an SVG's <image> elements) into stacked rounds of editable paths.
    Vectorize(clipvg::vectorize::cli::VectorizeArgs),
    /// CLIP itself: embeddings of prompts and images.
    Clip {
        #[command(subcommand)]
        command: clipvg::clip::cli::ClipCommand,
    },
    /// The CLIP checkpoints clipvg knows: list them, fetch and verify one.
    Weights {
        #[command(subcommand)]
        command: clipvg::clip::cli::WeightsCommand,
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
                let text = serde_json::to_string_pretty(&report)
                    .map_err(|e| clipvg::Error::InvalidInput(format!("report: {e}")))?;
                println!("{text}");
            } else {
                print!("{}", report.to_text(50));
            }
            Ok(())
        }
        Command::Render { input, output, width, height, background, backend } => {
            clipvg::util::refuse_overwriting_input(&input, &output)?;
            let doc = Document::open(&input)?;
            let built = clipvg::scene::build(&doc, &Default::default())?;
            let (w, h) = clipvg::raster::output_size(built.canvas.width, built.canvas.height, width, height)?;
            if width.is_none() && height.is_none() && clipvg::raster::canvas_exceeds_max(built.canvas.width, built.canvas.height) {
                eprintln!(
                    "note: the canvas is {:.0}×{:.0} px, more than {} px per side; rendering at {w}×{h} (choose with --width/--height)",
                    built.canvas.width,
                    built.canvas.height,
                    clipvg::raster::MAX_SIDE
                );
            }
            let bg = clipvg::raster::parse_background(&background)?;
            let img = clipvg::raster::render_with(&built.scene, w, h, bg, backend)?;
            let mut png = Vec::new();
            img.to_rgba8()
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .map_err(|e| clipvg::Error::Image { path: output.clone(), message: e.to_string() })?;
            clipvg::util::write_atomic(&output, &png)?;
            Ok(())
        }
        Command::Edit(args) => clipvg::edit::cli::run(&args),
        Command::Vectorize(args) => clipvg::vectorize::cli::run(&args),
        Command::Clip { command } => Ok(clipvg::clip::cli::run_clip(&command)?),
        Command::Weights { command } => Ok(clipvg::clip::cli::run_weights(&command)?),
        Command::Install(args) => clipvg::plugin::install::run_install(&args),
        Command::Uninstall(args) => clipvg::plugin::install::run_uninstall(&args),
    }
}

/// Mesa's Vulkan drivers print an error line when `XDG_RUNTIME_DIR` is unset (headless shells,
/// CI); give them a private one so that stderr carries only clipvg's own messages.
fn quiet_vulkan_loader() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return;
    }
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "user".into());
    let dir = std::env::temp_dir().join(format!("clipvg-runtime-{user}"));
    if std::fs::create_dir_all(&dir).is_ok() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        // SAFETY: called first thing in `main`, before any other thread exists.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}

fn main() -> ExitCode {
    quiet_vulkan_loader();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
