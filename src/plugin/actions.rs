//! The actions, one function each, all with the same signature: the engine's context (options,
//! document text, selection), the [`Request`] and the host's [`Progress`] in; an [`Outcome`] (new
//! SVG + report details) or a user-readable error out. Nothing here writes to stdout or stderr.
//! `edit` and `recolor` turn the selection into the edit request's ROIs and plan it with
//! [`crate::edit::plan`], the planning every front end shares.
//!
//! What each action checks before the work starts is what a user can get wrong (nothing
//! selected, an id that is not there, a selection without shapes, no prompt, a model folder that
//! does not exist), so hosts show those messages even for actions whose engine is still missing.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::context::{Context, Outcome, Progress};
use super::request::{EditMode, EditRequest, Request};
use crate::compute::BackendChoice;
use crate::edit::Plan;
use crate::error::{Error, Result};
use crate::scene::{BuildOptions, build_with};
use crate::svg::{Document, Editor, ElementId};

/// `inspect`: what clipvg sees in the document (canvas, shapes, what it does not understand).
/// The document comes back unchanged. Selected ids, if any, must exist.
pub fn inspect(cx: &Context<'_>, request: &Request, progress: &mut Progress<'_>) -> Result<Outcome> {
    progress.check(0.0, "reading the document")?;
    let doc = parse(cx, request, progress)?;
    resolve_ids(&doc, cx.selection)?;
    let report = crate::inspect::inspect_with(&doc, request.limits(), &mut progress.document_observer(0.0))?;
    let details = json!({ "selection": cx.selection, "inspect": report });
    progress.report(1.0, "done");
    Ok(Outcome::unchanged(cx.svg, details))
}

/// `render`: the document rendered at `render_size` (long side) over white, as a PNG.
pub fn render(cx: &Context<'_>, request: &Request, progress: &mut Progress<'_>) -> Result<Outcome> {
    progress.check(0.0, "reading the document")?;
    let doc = parse(cx, request, progress)?;
    resolve_ids(&doc, cx.selection)?;
    let request = &request.render;
    let options = BuildOptions { limits: request.limits, ..Default::default() };
    let built = build_with(&doc, &options, &mut progress.document_observer(0.0))?;
    let (w, h) =
        crate::raster::long_side_size(built.canvas.width, built.canvas.height, request.render_size, &request.limits)?;
    progress.check(0.1, "rendering")?;
    let backend = backend_of(cx, request.backend);
    let img = crate::raster::render_with_limits(&built.scene, w, h, [1.0; 4], backend, &request.limits)?;
    let mut png = Vec::new();
    img.to_rgba8()
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| Error::InvalidInput(format!("could not encode the PNG: {e}")))?;
    progress.report(1.0, "done");
    let mut out = Outcome::unchanged(cx.svg, json!({ "width": w, "height": h }));
    out.png = Some(png);
    Ok(out)
}

/// The backend of a run: the request's, else the engine's.
fn backend_of(cx: &Context<'_>, requested: Option<BackendChoice>) -> BackendChoice {
    requested.unwrap_or(cx.options.backend)
}

/// Runs the CLIPVG optimisation of a planned edit with the engine's model.
fn run_edit(
    cx: &Context<'_>,
    doc: &Document,
    edit: &EditRequest,
    plan: &Plan,
    progress: &mut Progress<'_>,
) -> Result<Outcome> {
    let key = match resolve_model(cx, edit)? {
        ModelChoice::Default => crate::clip::Registry::builtin()?.default,
        ModelChoice::Named(n) => n,
        ModelChoice::Folder(p) => p.to_string_lossy().into_owned(),
    };
    let backend = backend_of(cx, edit.backend);
    progress.check(0.0, "loading CLIP")?;
    let model = match cx.models {
        Some(cache) => {
            let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.get(&key, backend, edit.clip_precision, &mut |p| {
                let size = p.total.map_or(String::new(), |t| format!(" of {} MB", t >> 20));
                progress.report(0.0, &format!("downloading {} {}: {} MB{size}", p.model, p.file, p.done >> 20));
            })?
        }
        None => std::sync::Arc::new(crate::edit::Model::load(&key, backend, edit.clip_precision, &mut |_| {})?),
    };
    let iterations = edit.iterations;
    let mut on_progress = |p: &crate::edit::Progress| {
        let message = format!(
            "iteration {}/{}  loss {:.3}  {} left",
            p.iteration,
            iterations,
            p.loss,
            crate::edit::format_duration(p.eta)
        );
        !progress.report(p.iteration as f64 / iterations as f64, &message)
    };
    let hooks = crate::edit::Hooks { progress: &mut on_progress, snapshot: None };
    let mut outs = crate::edit::edit_planned_variations(doc, edit, plan, &model, hooks)?;
    if outs.len() > 1 {
        return variations_outcome(outs, edit);
    }
    let out = outs.remove(0);
    let details = serde_json::to_value(&out.report).unwrap_or(serde_json::Value::Null);
    Ok(Outcome {
        changed: !out.report.changed.is_empty(),
        cancelled: out.report.stop == crate::edit::Stop::Cancelled,
        svg: out.svg,
        details,
        png: None,
    })
}

/// The outcome of an edit with variations: one document (variation 1 in place, the others in
/// hidden groups beside the selection, [`super::variations::compose`]); the details are
/// variation 1's report with `variations`, every variation's report in order.
fn variations_outcome(outs: Vec<crate::edit::EditOutcome>, edit: &EditRequest) -> Result<Outcome> {
    let others: Vec<&str> = outs[1..].iter().map(|o| o.svg.as_str()).collect();
    let svg = super::variations::compose(&outs[0].svg, &others, &edit.select, &edit.limits)?;
    let reports: Vec<_> = outs.iter().map(|o| &o.report).collect();
    let mut details = serde_json::to_value(&outs[0].report).unwrap_or(serde_json::Value::Null);
    if let Some(map) = details.as_object_mut() {
        map.insert("variations".into(), serde_json::to_value(&reports).unwrap_or(serde_json::Value::Null));
    }
    Ok(Outcome {
        changed: outs.iter().any(|o| !o.report.changed.is_empty()),
        cancelled: outs[0].report.stop == crate::edit::Stop::Cancelled,
        svg,
        details,
        png: None,
    })
}

/// The edit request of a host's run: the selected objects become element ROIs (after the whole
/// canvas, before the request's own ROIs) with the request-wide prompt and weights, and they and
/// the request's element ROIs the trainable set; `mode` is the action's; the request's `preset`
/// fills the fields it left out, `auto` resolved for the run's backend.
pub fn edit_request_for(cx: &Context<'_>, request: &Request, mode: EditMode) -> Result<EditRequest> {
    let mut edit = request.edit.clone();
    let backend = backend_of(cx, edit.backend);
    request.edit_preset.apply(&mut edit, backend);
    edit.mode = mode;
    let mut rois: Vec<clipvg_request::Roi> = cx.selection.iter().map(clipvg_request::Roi::element).collect();
    rois.append(&mut edit.rois);
    edit.rois = rois;
    for id in edit.rois.iter().filter_map(|r| r.element.as_ref()) {
        if !edit.select.contains(id) {
            edit.select.push(id.clone());
        }
    }
    if edit.select.is_empty() {
        return Err(Error::EmptySelection("nothing is selected: select the objects to edit first".into()));
    }
    if mode == EditMode::Shape && edit.shape_lr == 0.0 || mode == EditMode::Colour && edit.colour_lr == 0.0 {
        return Err(Error::InvalidInput("nothing would change: the learning rate of this mode is 0".into()));
    }
    if let Some(path) = &edit.target_image
        && !path.is_file()
    {
        return Err(Error::InvalidInput(format!("target image {} does not exist", path.display())));
    }
    Ok(edit)
}

/// Plans and runs the edit of the selection in `mode`.
fn edit_in_mode(cx: &Context<'_>, request: &Request, mode: EditMode, progress: &mut Progress<'_>) -> Result<Outcome> {
    progress.check(0.0, "reading the document")?;
    let doc = parse(cx, request, progress)?;
    let doc = vectorize_selected_bitmaps(cx, request, doc, progress)?;
    let edit = edit_request_for(cx, request, mode)?;
    let plan = crate::edit::plan::plan(&doc, &edit, &mut progress.document_observer(0.0))?;
    run_edit(cx, &doc, &edit, &plan, progress)
}

/// Bitmaps in: every selected `<image>` replaced in place by its vectorization (the `vectorize`
/// action's replacement, with the request's vectorize fields: the default rounds), so that the
/// edit that follows edits the traced paths. The replacement keeps the image's id (an `<image
/// id="photo">` becomes `<g id="photo">`), so the selection still names it. Without a selected
/// bitmap the document is returned as it is.
fn vectorize_selected_bitmaps(
    cx: &Context<'_>,
    request: &Request,
    doc: Document,
    progress: &mut Progress<'_>,
) -> Result<Document> {
    let images: Vec<ElementId> =
        resolve_ids(&doc, cx.selection)?.into_iter().filter(|&el| doc.element(el).name == "image").collect();
    if images.is_empty() {
        return Ok(doc);
    }
    use crate::vectorize::{Progress as Step, VectorizeOptions, vectorize_images};
    let options = VectorizeOptions::from_request(&request.vectorize, backend_of(cx, None))?;
    // Before the edit's own progress, which starts at 0.
    let mut on_progress =
        |p: Step<'_>| !progress.report(0.0, &format!("vectorizing the bitmap: {}", vectorize_step(p).1));
    let out = vectorize_images(&doc, &images, &options, &mut on_progress)?;
    Ok(Document::parse_with(&out.svg, request.limits(), &mut progress.document_observer(0.0))?)
}

/// A vectorization's progress for a host: the fraction of the whole (tracing the first half,
/// refinement the second) and the message.
fn vectorize_step(p: crate::vectorize::Progress<'_>) -> (f64, String) {
    match p {
        crate::vectorize::Progress::Trace { round, rounds, label } => {
            (0.5 * round as f64 / rounds.max(1) as f64, format!("tracing round {round}/{rounds} ({label})"))
        }
        crate::vectorize::Progress::Refine { step, steps, loss } => {
            (0.5 + 0.5 * step as f64 / steps.max(1) as f64, format!("refining {step}/{steps}, loss {loss:.5}"))
        }
    }
}

/// `edit`: the CLIPVG edit of the selection towards the prompt(s).
pub fn edit(cx: &Context<'_>, request: &Request, progress: &mut Progress<'_>) -> Result<Outcome> {
    edit_in_mode(cx, request, request.edit.mode, progress)
}

/// `recolor`: the colour-only edit of the selection (every `d` stays as it was).
pub fn recolor(cx: &Context<'_>, request: &Request, progress: &mut Progress<'_>) -> Result<Outcome> {
    if request.edit.mode == EditMode::Shape {
        return Err(Error::InvalidInput(
            "recolor changes colours only: leave the request field `mode` out or set it to \"colour\"".into(),
        ));
    }
    edit_in_mode(cx, request, EditMode::Colour, progress)
}

/// `vectorize`: every selected bitmap (`<image>`) replaced by stacked traced paths in place.
pub fn vectorize(cx: &Context<'_>, request: &Request, progress: &mut Progress<'_>) -> Result<Outcome> {
    progress.check(0.0, "reading the document")?;
    let doc = parse(cx, request, progress)?;
    if cx.selection.is_empty() {
        return Err(Error::EmptySelection("nothing is selected: select the bitmap to vectorize first".into()));
    }
    let images = resolve_ids(&doc, cx.selection)?;
    if let Some(&other) = images.iter().find(|&&el| doc.element(el).name != "image") {
        return Err(Error::InvalidInput(format!(
            "{} is not a bitmap: select an <image> to vectorize",
            doc.describe(other)
        )));
    }
    use crate::vectorize::{VectorizeOptions, vectorize_images};
    let request = &request.vectorize;
    let options = VectorizeOptions::from_request(request, backend_of(cx, None))?;
    let mut on_progress = |p: crate::vectorize::Progress<'_>| {
        let (fraction, message) = vectorize_step(p);
        !progress.report(fraction, &message)
    };
    let out = vectorize_images(&doc, &images, &options, &mut on_progress)?;
    progress.report(1.0, "done");
    let details = serde_json::to_value(&out.images).unwrap_or(serde_json::Value::Null);
    Ok(Outcome { svg: out.svg, details: json!({ "images": details }), png: None, changed: true, cancelled: false })
}

/// Test-only (`CLIPVG_TEST_ACTIONS=1`): sets `data-clipvg-test-mark="N"` on the N-th selected
/// element (1-based) and nothing else, so host tests can see that a run went through and which
/// ids arrived in which order.
pub fn test_mark(cx: &Context<'_>, _request: &Request, progress: &mut Progress<'_>) -> Result<Outcome> {
    progress.check(0.0, "reading the document")?;
    let doc = Document::parse(cx.svg)?;
    if cx.selection.is_empty() {
        return Err(Error::EmptySelection("nothing is selected: select the objects to mark first".into()));
    }
    let mut editor = Editor::new(&doc);
    for (n, &el) in resolve_ids(&doc, cx.selection)?.iter().enumerate() {
        editor.set_attribute(el, "data-clipvg-test-mark", (n + 1).to_string());
    }
    let svg = editor.finish_checked()?;
    progress.report(1.0, "done");
    Ok(Outcome { svg, details: json!({ "marked": cx.selection }), png: None, changed: true, cancelled: false })
}

/// Test-only (`CLIPVG_TEST_ACTIONS=1`): a bug on purpose. Panics on the calling thread, or on a
/// rayon worker when the selection is `["worker"]`.
pub fn test_panic(cx: &Context<'_>, _request: &Request, progress: &mut Progress<'_>) -> Result<Outcome> {
    use rayon::prelude::*;
    progress.check(0.0, "about to fail")?;
    if cx.selection.iter().any(|s| s == "worker") {
        (0..64).into_par_iter().for_each(|i| {
            if i == 63 {
                panic!("test panic on a worker thread");
            }
        });
    }
    panic!("test panic on the calling thread");
}

/// The host's document, read within the request's limits; the host's cancel stops the reading.
fn parse(cx: &Context<'_>, request: &Request, progress: &mut Progress<'_>) -> Result<Document> {
    Ok(Document::parse_with(cx.svg, request.limits(), &mut progress.document_observer(0.0))?)
}

/// The elements of `ids`, in order; an error naming the first id that is not in the document.
pub fn resolve_ids(doc: &Document, ids: &[String]) -> Result<Vec<ElementId>> {
    ids.iter().map(|id| doc.require_id(id).map_err(Error::from)).collect()
}

/// Which CLIP model a run uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelChoice {
    /// The registry's default model.
    Default,
    /// A name to look up in the weights registry.
    Named(String),
    /// A model folder (config.json + model.safetensors) that exists.
    Folder(PathBuf),
}

/// The request's model, else the engine's. A value that looks like a path (has a `/` or `\`, or
/// starts with `.` or `~`) must be a CLIP folder; anything else is a registry name.
pub fn resolve_model(cx: &Context<'_>, request: &EditRequest) -> Result<ModelChoice> {
    let Some(spec) = request.model().or(cx.options.model.as_deref()) else {
        return Ok(ModelChoice::Default);
    };
    let looks_like_path = spec.contains(['/', '\\']) || spec.starts_with(['.', '~']);
    if !looks_like_path {
        // TODO(#7): wire clipvg::clip::registry — refuse names the registry does not know, listing
        // the known ones and `clipvg weights fetch NAME`.
        return Ok(ModelChoice::Named(spec.to_string()));
    }
    let path = match spec.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map_or_else(|| PathBuf::from(spec), |h| Path::new(&h).join(rest)),
        None => PathBuf::from(spec),
    };
    if !path.is_dir() {
        return Err(Error::InvalidInput(format!(
            "unknown model \"{}\": there is no such folder (give a CLIP model folder or a registry name)",
            super::guard::echo(spec)
        )));
    }
    for file in ["config.json", "model.safetensors"] {
        if !path.join(file).is_file() {
            // The folder is there, the model is not (yet): CLIPVG_STATUS_MODEL_MISSING.
            return Err(crate::clip::ClipError::MissingModelFile { dir: path, file }.into());
        }
    }
    Ok(ModelChoice::Folder(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::request::EngineOptions;

    const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="100" height="50">
  <path id="a" inkscape:label="a red apple" d="M10 10 L30 10 L30 30 Z" fill="red"/>
  <g id="g"><rect id="b" x="50" y="10" width="20" height="20" fill="blue"/></g>
  <text id="t" x="5" y="45">hi</text>
  <image id="img" x="0" y="0" width="10" height="10" href="x.png"/>
</svg>"##;

    fn cx<'a>(options: &'a EngineOptions, selection: &'a [String]) -> Context<'a> {
        Context { options, svg: SVG, selection, models: None }
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn req(json: &str) -> Request {
        Request::from_json(json).unwrap()
    }

    #[test]
    fn plan_resolves_rois_and_prompts() {
        let o = EngineOptions::default();
        let sel = ids(&["a", "g"]);
        let r = req(r#"{"prompt":"gold","prompts_from_labels":true,"whole_canvas_roi":true,
                       "rois":[{"rect":[-10,0,20,20],"prompt":"sky","n_patches":4}]}"#);
        let edit = edit_request_for(&cx(&o, &sel), &r, EditMode::All).unwrap();
        assert_eq!(edit.select, ["a", "g"]);
        let doc = Document::parse(SVG).unwrap();
        let plan = crate::edit::plan::plan(&doc, &edit, &mut clipvg_document::no_progress()).unwrap();
        let prompts: Vec<_> = plan.rois.iter().map(|r| r.prompt.as_deref().unwrap()).collect();
        assert_eq!(prompts, ["gold", "a red apple", "gold", "sky"]);
        assert_eq!(plan.rois[0].rect, [0.0, 0.0, 100.0, 50.0]);
        assert_eq!(plan.rois[3].rect, [0.0, 0.0, 10.0, 20.0]);
        assert_eq!((plan.rois[3].n_patches, plan.rois[1].n_patches), (4, 64));
        assert_eq!(plan.rois[1].element, doc.by_id("a"));
    }

    #[test]
    fn user_mistakes_are_clear_errors() {
        let o = EngineOptions::default();
        let msg = |sel: &[&str], json: &str| {
            let sel = ids(sel);
            edit(&cx(&o, &sel), &req(json), &mut Progress::silent()).unwrap_err().to_string()
        };
        assert_eq!(msg(&[], r#"{"prompt":"x"}"#), "nothing is selected: select the objects to edit first");
        assert_eq!(msg(&["nope"], r#"{"prompt":"x"}"#), "no element with id \"nope\" in the document");
        assert_eq!(msg(&["a"], "{}"), "the prompt is empty: type what the selection should look like");
        assert_eq!(msg(&["t"], r#"{"prompt":"x"}"#), "<text id=\"t\"> has no visible shapes on the canvas");
        assert_eq!(
            msg(&["g"], r#"{"prompts_from_labels":true}"#),
            "<g id=\"g\"> has no prompt: type a prompt, or give the object a label"
        );
        assert!(
            msg(&["a"], r#"{"prompt":"x","model":"/no/such/clip"}"#).starts_with("unknown model \"/no/such/clip\"")
        );
        let model_a = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/clip/A");
        let sel = ids(&["a"]);
        let json = format!(
            r#"{{"prompt":"x","model":"{model_a}","backend":"cpu","iterations":2,"n_patches":1,"render_size":64,"prompt_templates":false}}"#
        );
        let out = edit(&cx(&o, &sel), &req(&json), &mut Progress::silent()).unwrap();
        assert!(out.changed && !out.cancelled);
        assert_ne!(out.svg, SVG);
        let sel = ids(&["a"]);
        let e = recolor(&cx(&o, &sel), &req(r#"{"prompt":"x","mode":"shape"}"#), &mut Progress::silent());
        assert!(e.unwrap_err().to_string().starts_with("recolor changes colours only"));
        let e = vectorize(&cx(&o, &sel), &req("{}"), &mut Progress::silent()).unwrap_err().to_string();
        assert_eq!(e, "<path id=\"a\"> is not a bitmap: select an <image> to vectorize");
        // The test document's <image> links a file that is not there.
        let sel = ids(&["img"]);
        let e = vectorize(&cx(&o, &sel), &req("{}"), &mut Progress::silent()).unwrap_err().to_string();
        assert!(e.contains("x.png"), "{e}");
    }

    #[test]
    fn inspect_returns_the_document_unchanged() {
        let o = EngineOptions::default();
        let out = inspect(&cx(&o, &[]), &req("{}"), &mut Progress::silent()).unwrap();
        assert_eq!(out.svg, SVG);
        assert!(!out.changed);
        assert_eq!(out.details["inspect"]["canvas"]["width"], 100.0);
    }

    #[test]
    fn test_mark_marks_only_the_selection_in_order() {
        let o = EngineOptions::default();
        let sel = ids(&["b", "a"]);
        let out = test_mark(&cx(&o, &sel), &req("{}"), &mut Progress::silent()).unwrap();
        let doc = Document::parse(out.svg).unwrap();
        let mark = |id: &str| doc.element(doc.by_id(id).unwrap()).attr("data-clipvg-test-mark").map(str::to_string);
        assert_eq!((mark("b"), mark("a"), mark("g")), (Some("1".into()), Some("2".into()), None));
    }

    /// A request's preset fills what it left out, `auto` resolved for the request's backend,
    /// else the engine's; without a preset the table's values stay.
    #[test]
    fn the_preset_fills_the_fields_left_out_for_the_runs_backend() {
        let cpu = EngineOptions { backend: BackendChoice::Cpu, ..Default::default() };
        let sel = ids(&["a"]);
        let r = req(r#"{"prompt":"x","preset":"auto","n_patches":3}"#);
        let e = edit_request_for(&cx(&cpu, &sel), &r, EditMode::All).unwrap();
        assert_eq!((e.iterations, e.n_patches, e.render_size, e.shape_lr, e.colour_lr), (40, 3, 384, 0.75, 0.0375));
        let r = req(r#"{"prompt":"x","quality":"paper","backend":"cpu","iterations":5}"#);
        let e = edit_request_for(&cx(&cpu, &sel), &r, EditMode::Colour).unwrap();
        assert_eq!((e.iterations, e.n_patches, e.colour_lr), (5, 64, 0.01));
        let e = edit_request_for(&cx(&cpu, &sel), &req(r#"{"prompt":"x"}"#), EditMode::All).unwrap();
        assert_eq!((e.iterations, e.n_patches, e.render_size), (150, 64, 512));
    }
}
