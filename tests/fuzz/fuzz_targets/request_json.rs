//! Fuzz target `request_json`: the JSON every host sends (`clipvg_run`'s request, the engine
//! options, the edit request of the CLI), parsed and validated.
//!
//! The request types live in the main crate, which pulls burn/wgpu/CubeCL (~25 minutes of fuzz
//! build). The two files themselves use only `serde`, `serde_json`, `clap` (a derive on two
//! enums) and `crate::error::{Error, Result}` with the `InvalidInput` variant. So this target
//! compiles **the main crate's files as they are** (`#[path]`, no copy) as modules of its own,
//! with a stand-in `error` module that has the one variant they use. If those files start using
//! more of the main crate, this build fails loudly and the stand-in (or a move of the request
//! types into a light crate) has to follow.
#![no_main]
#![allow(dead_code)]

/// Stand-in for the main crate's `crate::error`: the variant the request files construct.
mod error {
    #[derive(Debug)]
    pub enum Error {
        InvalidInput(String),
    }
    pub type Result<T, E = Error> = std::result::Result<T, E>;
}

/// `src/plugin/request.rs` of the main crate, unchanged.
#[path = "../../../src/plugin/request.rs"]
mod plugin_request;

/// `src/edit/request.rs` of the main crate, unchanged.
#[path = "../../../src/edit/request.rs"]
mod edit_request;

use edit_request::EditRequest;
use plugin_request::{EngineOptions, Request};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };

    // The plugin request: a parsed request is valid, and stays parsable and valid after a
    // serialisation round trip (what a host that stores requests does).
    if let Ok(request) = Request::from_json(json) {
        request.validate().expect("from_json returned a request that does not validate");
        let _ = request.prompt();
        let again = serde_json::to_string(&request).expect("a request serialises");
        if let Err(error::Error::InvalidInput(e)) = Request::from_json(&again) {
            panic!("a valid request does not survive a JSON round trip: {e}\n{again}");
        }
    }

    if let Ok(options) = EngineOptions::from_json(json) {
        let again = serde_json::to_string(&options).expect("engine options serialise");
        if let Err(error::Error::InvalidInput(e)) = EngineOptions::from_json(&again) {
            panic!("engine options do not survive a JSON round trip: {e}\n{again}");
        }
    }

    // The edit request (CLI / library): parse, validate, round trip the valid ones.
    if let Ok(edit) = EditRequest::from_json(json) {
        if edit.validate().is_ok() {
            let again = serde_json::to_string(&edit).expect("an edit request serialises");
            match EditRequest::from_json(&again) {
                Ok(back) => {
                    if let Err(error::Error::InvalidInput(e)) = back.validate() {
                        panic!("a valid edit request is invalid after a JSON round trip: {e}\n{again}");
                    }
                }
                Err(error::Error::InvalidInput(e)) => panic!("an edit request does not re-parse: {e}\n{again}"),
            }
        }
        let mut edit = edit;
        edit_request::Preset::Fast.apply(&mut edit);
        let _ = edit.validate();
    }
});
