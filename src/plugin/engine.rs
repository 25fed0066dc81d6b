//! The engine behind both ABIs: names of actions, the engine that runs them one at a time, and
//! the JSON report of a run. `ffi.rs` and `abi.rs` only translate arguments into
//! [`Engine::run_json`]; what an action sees and returns is in [`super::context`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::Serialize;

use super::actions;
use super::context::{Context, ModelCache, Outcome, Progress};
use super::request::{EngineOptions, Request};
use crate::error::{Error, Result};

/// The actions a host can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Report what clipvg sees in the document; the document comes back unchanged.
    Inspect,
    /// Render the document to a PNG; the document comes back unchanged.
    Render,
    /// The CLIPVG edit of the selection towards a prompt.
    Edit,
    /// The colour-only edit of the selection.
    Recolor,
    /// Replace selected bitmaps (`<image>`) with stacked traced paths.
    Vectorize,
    /// Test-only: sets `data-clipvg-test-mark="N"` on the N-th selected element. Exists only when
    /// the environment has `CLIPVG_TEST_ACTIONS=1`, for host integration tests.
    TestMark,
    /// Test-only (`CLIPVG_TEST_ACTIONS=1`): panics, on the calling thread, or on a rayon worker
    /// when the selection is `["worker"]`, so host tests can see how a bug is reported.
    TestPanic,
}

/// The environment variable that enables the test-only actions.
pub const TEST_ACTIONS_ENV: &str = "CLIPVG_TEST_ACTIONS";

impl Action {
    /// Every user action, in menu order.
    pub const ALL: [Action; 5] = [Action::Edit, Action::Recolor, Action::Vectorize, Action::Render, Action::Inspect];

    /// The action's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Action::Inspect => "inspect",
            Action::Render => "render",
            Action::Edit => "edit",
            Action::Recolor => "recolor",
            Action::Vectorize => "vectorize",
            Action::TestMark => "test-mark",
            Action::TestPanic => "test-panic",
        }
    }

    /// The action of a name; an error listing the known names for anything else.
    pub fn from_name(name: &str) -> Result<Action> {
        if let Some(a) = Action::ALL.into_iter().find(|a| a.name() == name) {
            return Ok(a);
        }
        if std::env::var(TEST_ACTIONS_ENV).is_ok_and(|v| v == "1")
            && let Some(a) = [Action::TestMark, Action::TestPanic].into_iter().find(|a| a.name() == name)
        {
            return Ok(a);
        }
        let known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        let name = super::guard::echo(name);
        Err(Error::InvalidInput(format!("unknown action \"{name}\" (known: {})", known.join(", "))))
    }
}

/// The JSON report of a run (`clipvg_result_report`): the same envelope for every action.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub action: &'static str,
    /// The library's version.
    pub clipvg_version: &'static str,
    pub changed: bool,
    pub cancelled: bool,
    /// Wall time of the run in seconds.
    pub elapsed_s: f64,
    /// Action-specific: `inspect` gives canvas, shapes and what was not understood.
    pub details: &'a serde_json::Value,
}

/// The result of a run as the ABIs hand it out.
#[derive(Clone, Debug)]
pub struct RunOutput {
    pub svg: String,
    /// The [`Report`] as JSON.
    pub report_json: String,
    pub png: Option<Vec<u8>>,
    pub changed: bool,
    pub cancelled: bool,
}

/// A long-lived engine: options fixed at creation (later also the loaded model). Thread-safe;
/// one run at a time: a run on an engine that is running fails at once with [`Error::Busy`]
/// (a host calling back into the engine from its progress callback would otherwise wait for
/// itself forever).
pub struct Engine {
    options: EngineOptions,
    /// Set while a run is under way.
    busy: AtomicBool,
    models: Mutex<ModelCache>,
}

/// Clears the busy flag when a run ends, also by a panic.
struct Running<'a>(&'a AtomicBool);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Engine {
    pub fn new(options: EngineOptions) -> Engine {
        Engine { options, busy: AtomicBool::new(false), models: Mutex::new(ModelCache::default()) }
    }

    /// Whether a run is under way on this engine.
    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }

    /// An engine from options JSON (empty = defaults).
    pub fn from_json(options_json: &str) -> Result<Engine> {
        Ok(Engine::new(EngineOptions::from_json(options_json)?))
    }

    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Runs `action` on a parsed request.
    pub fn run(
        &self,
        action: Action,
        request: &Request,
        svg: &str,
        selection: &[String],
        progress: &mut Progress<'_>,
    ) -> Result<Outcome> {
        if self.busy.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return Err(Error::Busy);
        }
        let _running = Running(&self.busy);
        let cx = Context { options: &self.options, svg, selection, models: Some(&self.models) };
        let run = match action {
            Action::Inspect => actions::inspect,
            Action::Render => actions::render,
            Action::Edit => actions::edit,
            Action::Recolor => actions::recolor,
            Action::Vectorize => actions::vectorize,
            Action::TestMark => actions::test_mark,
            Action::TestPanic => actions::test_panic,
        };
        run(&cx, request, progress)
    }

    /// Runs an action given by name on a JSON request: the one entry point of both ABIs.
    pub fn run_json(
        &self,
        action: &str,
        request_json: &str,
        svg: &str,
        selection: &[String],
        progress: &mut Progress<'_>,
    ) -> Result<RunOutput> {
        let start = Instant::now();
        let action = Action::from_name(action)?;
        let request = Request::from_json(request_json)?;
        let outcome = self.run(action, &request, svg, selection, progress)?;
        let report = Report {
            action: action.name(),
            clipvg_version: env!("CARGO_PKG_VERSION"),
            changed: outcome.changed,
            cancelled: outcome.cancelled,
            elapsed_s: start.elapsed().as_secs_f64(),
            details: &outcome.details,
        };
        let report_json = serde_json::to_string(&report)
            .map_err(|e| Error::InvalidInput(format!("the report could not be written as JSON: {e}")))?;
        Ok(RunOutput {
            svg: outcome.svg,
            report_json,
            png: outcome.png,
            changed: outcome.changed,
            cancelled: outcome.cancelled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()).unwrap(), a);
        }
        let e = Action::from_name("paint").unwrap_err().to_string();
        assert_eq!(e, "unknown action \"paint\" (known: edit, recolor, vectorize, render, inspect)");
    }

    #[test]
    fn a_call_from_the_progress_callback_is_busy_at_once() {
        let engine = Engine::new(EngineOptions::default());
        let svg = "<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'/>";
        let mut inner = Vec::new();
        let mut sink = |_: f64, _: &str| {
            assert!(engine.is_busy());
            inner.push(
                engine
                    .run_json("inspect", "", svg, &[], &mut Progress::silent())
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            );
            false
        };
        engine.run_json("inspect", "", svg, &[], &mut Progress::new(Some(&mut sink))).unwrap();
        assert!(
            !inner.is_empty() && inner.iter().all(|r| matches!(r, Err(e) if e.starts_with("this engine is busy"))),
            "{inner:?}"
        );
        assert!(!engine.is_busy());
        engine.run_json("inspect", "", svg, &[], &mut Progress::silent()).unwrap();
    }

    #[test]
    fn unknown_action_names_are_bounded_and_escaped() {
        let e = Action::from_name(&format!("\u{1b}[2J{}", "x".repeat(1 << 20))).unwrap_err().to_string();
        assert!(e.len() < 300 && e.starts_with("unknown action \"\\u{1b}[2J"), "{e}");
    }
}
