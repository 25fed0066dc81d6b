//! `clipvg render`: an SVG to PNG with clipvg's differentiable rasterizer.
//!
//! The flags that the plugin's `render` also has become a [`RenderRequest`] (`--size` is
//! `render_size`, `--backend` is `backend`, `--limit` goes over `limits`), which `--request FILE`
//! gives in the plugin's JSON; the rest are the command line's own: where the PNG goes, an exact
//! `--width`/`--height`, and `--background` (the plugin renders over white). Without `--size`
//! and without a request file the PNG has the canvas's size (bounded, see [`render_size`]).

use std::io::Write;
use std::path::PathBuf;

use clipvg::compute::BackendChoice;
use clipvg::edit::request::invalid;
use clipvg::error::{Error, Result};
use clipvg::plugin::request::RenderRequest;
use clipvg::svg::Document;
use clipvg_document::Limits;
use clipvg_request::fields;

/// Arguments of `clipvg render`.
#[derive(clap::Args, Debug, Clone)]
pub struct RenderArgs {
    /// The SVG file.
    pub input: PathBuf,
    /// The PNG to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Long side of the PNG in pixels, aspect kept (the request's `render_size`).
    #[arg(long, value_name = "LONG_SIDE", help = size_help())]
    pub size: Option<u32>,
    /// Output width in pixels; the other side keeps the aspect (overrides --size).
    #[arg(long)]
    pub width: Option<u32>,
    /// Output height in pixels (overrides --size).
    #[arg(long)]
    pub height: Option<u32>,
    /// Background: white, none (transparent) or a colour such as #rrggbb.
    #[arg(long, default_value = "white")]
    pub background: String,
    /// Where to rasterize: cpu, gpu (wgpu), or auto (a hardware GPU if present).
    #[arg(long, value_parser = crate::named::named::<BackendChoice>(), help = backend_help())]
    pub backend: Option<BackendChoice>,
    /// A render request as JSON: the fields of the plugin's `render` (`render_size`, `backend`,
    /// `limits`); options given on the command line override its values.
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,
}

/// `--size`'s help: the table's line and range, and the command line's own default.
fn size_help() -> String {
    let f = &fields::RENDER_SIZE;
    format!(
        "Long side of the PNG in pixels, aspect kept ({}) [default: the canvas size, at most 4096×4096 pixels; with --request, the file's {}, else {}]",
        f.rule(),
        f.name,
        f.number()
    )
}

/// `--backend`'s help, with the table's default.
fn backend_help() -> String {
    fields::BACKEND.help_with_default()
}

impl RenderArgs {
    /// The request these arguments describe: `--request FILE`'s (else the defaults), with the
    /// options given here over it, its ranges checked. `--limit` is applied by the caller.
    pub fn request(&self) -> Result<RenderRequest> {
        let mut req: RenderRequest = match &self.request {
            Some(p) => crate::request::read(p, "render")?,
            None => RenderRequest::default(),
        };
        if let Some(s) = self.size {
            req.render_size = s;
        }
        if self.backend.is_some() {
            req.backend = self.backend;
        }
        req.validate().map_err(invalid)?;
        Ok(req)
    }

    /// Whether the request's `render_size` sizes the PNG: with `--size` or a request file, and
    /// neither `--width` nor `--height`.
    fn sized_by_request(&self) -> bool {
        (self.size.is_some() || self.request.is_some()) && self.width.is_none() && self.height.is_none()
    }
}

/// Runs `clipvg render` with the command line's `--limit` values applied by `apply_limits` over
/// the request's limits (the defaults, or those of `--request FILE`).
pub fn run_with_limits(args: &RenderArgs, apply_limits: &dyn Fn(&mut Limits) -> Result<()>) -> Result<()> {
    let mut req = args.request()?;
    apply_limits(&mut req.limits)?;
    let bg = clipvg::raster::parse_background(&args.background)?;
    crate::limits::check_output(&args.input, &args.output)?;
    let limits = req.limits;
    let doc = Document::open_with(&args.input, &limits, &mut clipvg_document::no_progress())?;
    let options = clipvg::scene::BuildOptions { limits, ..Default::default() };
    let built = clipvg::scene::build_with(&doc, &options, &mut clipvg_document::no_progress())?;
    let canvas = (built.canvas.width, built.canvas.height);
    let (w, h) = if args.sized_by_request() {
        clipvg::raster::long_side_size(canvas.0, canvas.1, req.render_size, &limits)?
    } else {
        render_size(canvas, args.width, args.height, &limits, &mut std::io::stderr())?
    };
    let backend = req.backend.unwrap_or_default();
    let img = clipvg::raster::render_with_limits(&built.scene, w, h, bg, backend, &limits)?;
    let mut png = Vec::new();
    img.to_rgba8()
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| Error::Image { path: args.output.clone(), message: e.to_string() })?;
    clipvg::util::write_atomic(&args.output, &png)
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
) -> Result<(u32, u32)> {
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
        .map_err(Error::Limit)?;
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        render: RenderArgs,
    }

    fn args(extra: &[&str]) -> RenderArgs {
        let mut v = vec!["clipvg", "in.svg", "-o", "out.png"];
        v.extend_from_slice(extra);
        Cli::try_parse_from(v).expect("arguments parse").render
    }

    #[test]
    fn a_request_file_is_overridden_only_by_options_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, r#"{"render_size": 100, "backend": "cpu", "limits": {"depth": 7}}"#).unwrap();
        let p = path.to_str().unwrap();
        let r = args(&["--request", p]).request().unwrap();
        assert_eq!((r.render_size, r.backend, r.limits.depth), (100, Some(BackendChoice::Cpu), 7));
        let r = args(&["--request", p, "--size", "64", "--backend", "gpu"]).request().unwrap();
        assert_eq!((r.render_size, r.backend), (64, Some(BackendChoice::Gpu)));
        let r = args(&[]).request().unwrap();
        assert_eq!((r.render_size, r.backend), (fields::RENDER_SIZE.number() as u32, None));
        assert!(!args(&[]).sized_by_request() && args(&["--request", p]).sized_by_request());
        assert!(!args(&["--size", "64", "--width", "10"]).sized_by_request());
        let e = args(&["--size", "3"]).request().unwrap_err().to_string();
        assert!(e.contains("`render_size` must be between 16 and 8192"), "{e}");
        std::fs::write(&path, r#"{"render_sise": 100}"#).unwrap();
        let e = args(&["--request", p]).request().unwrap_err().to_string();
        assert!(e.starts_with("invalid render request: unknown field `render_sise`"), "{e}");
    }
}
