//! What an action sees and returns, apart from the request: the engine's context (options,
//! document text, selection, the loaded model), the host's progress and cancel, and the outcome.
//! [`super::actions`] and [`super::engine`] both use these; neither imports the other's types.

use std::sync::Mutex;

use super::request::EngineOptions;
use crate::error::{Error, Result};

/// Progress reports to the host and its answer: go on, or cancel.
pub struct Progress<'a> {
    sink: Option<&'a mut dyn FnMut(f64, &str) -> bool>,
    cancel_requested: bool,
}

impl<'a> Progress<'a> {
    /// Reports to `sink`; its `true` answer asks the run to stop.
    pub fn new(sink: Option<&'a mut dyn FnMut(f64, &str) -> bool>) -> Self {
        Progress { sink, cancel_requested: false }
    }

    /// Progress that nobody watches.
    pub fn silent() -> Progress<'static> {
        Progress { sink: None, cancel_requested: false }
    }

    /// Reports `fraction` (0–1, clamped) and a short message. Returns whether the host has asked
    /// to cancel, now or earlier: a long action checks it at least once per iteration.
    pub fn report(&mut self, fraction: f64, message: &str) -> bool {
        let fraction = if fraction.is_nan() { 0.0 } else { fraction.clamp(0.0, 1.0) };
        if let Some(sink) = self.sink.as_mut() {
            self.cancel_requested |= sink(fraction, message);
        }
        self.cancel_requested
    }

    /// Like [`Progress::report`], as an error for actions that have no partial result to give.
    pub fn check(&mut self, fraction: f64, message: &str) -> Result<()> {
        if self.report(fraction, message) { Err(Error::Cancelled) } else { Ok(()) }
    }

    /// The document crate's observer for this run: loading, styling and scene building report
    /// as "reading the document" (at `fraction`) and stop with `Cancelled` when the host asks.
    pub fn document_observer(&mut self, fraction: f64) -> impl FnMut(clipvg_document::Stage, f32) -> bool + '_ {
        move |stage, _| {
            let message = match stage {
                clipvg_document::Stage::Parse => "reading the document",
                clipvg_document::Stage::Style => "matching the style sheets",
                clipvg_document::Stage::Build => "building the scene",
                clipvg_document::Stage::WriteBack => "writing the result",
            };
            !self.report(fraction, message)
        }
    }

    /// Whether cancel has been requested so far.
    pub fn is_cancel_requested(&self) -> bool {
        self.cancel_requested
    }
}

/// What an action gets besides the request: the engine's options and the host's input.
pub struct Context<'a> {
    pub options: &'a EngineOptions,
    /// The document text.
    pub svg: &'a str,
    /// Ids of the selected objects, in selection order.
    pub selection: &'a [String],
    /// The engine's loaded CLIP model, kept between runs (`None` in contexts without an engine).
    pub models: Option<&'a Mutex<ModelCache>>,
}

/// The CLIP model an engine loaded last, kept so that a second edit does not load it again.
#[derive(Default)]
pub struct ModelCache {
    loaded: Option<(
        String,
        crate::compute::BackendChoice,
        crate::request::ClipPrecision,
        std::sync::Arc<crate::edit::Model>,
    )>,
}

impl ModelCache {
    /// The model of `key` (a folder or registry name) on `backend` in `precision`, loading it
    /// on first use.
    pub fn get(
        &mut self,
        key: &str,
        backend: crate::compute::BackendChoice,
        precision: crate::request::ClipPrecision,
        on_fetch: &mut dyn FnMut(&crate::clip::registry::FetchProgress),
    ) -> Result<std::sync::Arc<crate::edit::Model>> {
        if let Some((k, b, p, m)) = &self.loaded
            && k == key
            && *b == backend
            && *p == precision
        {
            return Ok(m.clone());
        }
        self.loaded = None; // free the old model before loading the new one
        let model = std::sync::Arc::new(crate::edit::Model::load(key, backend, precision, on_fetch)?);
        self.loaded = Some((key.to_string(), backend, precision, model.clone()));
        Ok(model)
    }
}

/// What an action returns.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The whole new document (the input unchanged for `inspect` and `render`).
    pub svg: String,
    /// Action-specific details for the report (`inspect`: the inspect report).
    pub details: serde_json::Value,
    /// A rendered image, PNG-encoded (`render`).
    pub png: Option<Vec<u8>>,
    /// Whether the document changed.
    pub changed: bool,
    /// The host cancelled and `svg` is the last good state.
    pub cancelled: bool,
}

impl Outcome {
    /// The input document, unchanged, with a report.
    pub fn unchanged(svg: &str, details: serde_json::Value) -> Outcome {
        Outcome { svg: svg.to_string(), details, png: None, changed: false, cancelled: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_remembers_cancel() {
        let mut calls = Vec::new();
        let mut sink = |f: f64, m: &str| {
            calls.push((f, m.to_string()));
            f >= 0.5
        };
        let mut p = Progress::new(Some(&mut sink));
        assert!(!p.report(0.25, "a"));
        assert!(p.report(0.5, "b"));
        assert!(p.check(2.0, "c").is_err());
        assert!(p.is_cancel_requested());
        assert_eq!(calls.last().unwrap().0, 1.0);
        assert!(!Progress::silent().report(0.1, "x"));
    }
}
