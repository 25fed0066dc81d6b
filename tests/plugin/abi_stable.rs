//! The plugin from a Rust host: loads the cdylib that cargo built for this test run through
//! abi_stable (which checks every type's layout against this host's at load time) and runs
//! `inspect`, progress included, and an error.

use crate::cdylib;

use abi_stable::library::RootModule;
use abi_stable::std_types::{RNone, RSome, RStr, RString};
use abi_stable::type_level::downcasting::TD_Opaque;
use clipvg::plugin::abi::{ClipvgModRef, ClipvgStatus, ProgressSink, ProgressSink_TO};

const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><path id="a" d="M1 1 L9 1 L9 9 Z" fill="red"/></svg>"#;

struct Recorder {
    fractions: Vec<f64>,
}

impl ProgressSink for Recorder {
    fn report(&mut self, fraction: f64, _message: RStr<'_>) -> bool {
        self.fractions.push(fraction);
        false
    }
}

#[test]
fn rust_host_loads_the_module_and_runs_inspect() {
    let path = cdylib::cdylib_path();
    let module =
        ClipvgModRef::load_from_file(&path).unwrap_or_else(|e| panic!("abi_stable refused {}: {e}", path.display()));
    assert_eq!(module.abi_version()(), clipvg::plugin::ABI_VERSION);

    let engine = module.engine_new()(RStr::from(r#"{"backend":"cpu"}"#)).unwrap();
    let selected = [RString::from("a")];
    let mut recorder = Recorder { fractions: Vec::new() };
    let out = engine
        .run(
            "inspect".into(),
            "{}".into(),
            SVG.into(),
            selected[..].into(),
            RSome(ProgressSink_TO::from_ptr(&mut recorder, TD_Opaque)),
        )
        .unwrap();
    assert_eq!(out.svg.as_str(), SVG);
    assert!(!out.changed && !out.cancelled && out.png.is_none());
    let report: serde_json::Value = serde_json::from_str(&out.report_json).unwrap();
    assert_eq!(report["action"], "inspect");
    assert_eq!(report["details"]["inspect"]["shapes"][0]["id"], "a");
    assert_eq!(recorder.fractions.last(), Some(&1.0));

    let err = engine.run("paint".into(), "".into(), SVG.into(), (&[][..]).into(), RNone).unwrap_err();
    assert_eq!(err.status, ClipvgStatus::InvalidRequest);
    assert!(err.message.as_str().starts_with("unknown action \"paint\""), "{}", err.message);
    // An edit reaches the model loader: a missing model folder is a clear error naming it.
    let err = engine
        .run(
            "edit".into(),
            r#"{"prompt":"gold","model":"/nonexistent/clip"}"#.into(),
            SVG.into(),
            selected[..].into(),
            RNone,
        )
        .unwrap_err();
    assert!(err.message.as_str().contains("/nonexistent/clip"), "{}", err.message);

    let err = module.engine_new()(RStr::from(r#"{"modle":"x"}"#)).into_result().err().expect("bad options refused");
    assert_eq!(err.status, ClipvgStatus::InvalidRequest);
    assert!(err.message.as_str().contains("unknown field `modle`"), "{}", err.message);
}

/// A progress sink that runs the same engine again from inside its run.
struct Reenter<'a> {
    engine: &'a clipvg::plugin::abi::AbiEngineBox,
    inner: Vec<ClipvgStatus>,
}

impl ProgressSink for Reenter<'_> {
    fn report(&mut self, _fraction: f64, _message: RStr<'_>) -> bool {
        let again = self.engine.run("inspect".into(), "".into(), SVG.into(), (&[][..]).into(), RNone);
        self.inner.push(match again.into_result() {
            Ok(_) => ClipvgStatus::Ok,
            Err(e) => e.status,
        });
        false
    }
}

#[test]
fn a_run_from_the_progress_sink_is_busy_at_once() {
    let module = ClipvgModRef::load_from_file(&cdylib::cdylib_path()).unwrap();
    let engine = module.engine_new()(RStr::from(r#"{"backend":"cpu"}"#)).unwrap();
    let mut sink = Reenter { engine: &engine, inner: Vec::new() };
    let out = engine.run(
        "inspect".into(),
        "".into(),
        SVG.into(),
        (&[][..]).into(),
        RSome(ProgressSink_TO::from_ptr(&mut sink, TD_Opaque)),
    );
    assert!(out.is_ok());
    assert!(!sink.inner.is_empty() && sink.inner.iter().all(|s| *s == ClipvgStatus::Busy), "{:?}", sink.inner);
    // Bounded, escaped messages through this ABI too.
    let err = engine
        .run(format!("\u{1b}{}", "x".repeat(1 << 20)).as_str().into(), "".into(), SVG.into(), (&[][..]).into(), RNone)
        .unwrap_err();
    assert!(err.message.len() < 300 && err.message.as_str().contains("\\u{1b}"), "{}", err.message);
}
