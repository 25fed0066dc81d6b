//! Fuzz target `request_json`: the JSON every host sends, parsed as each action's request type
//! of the clipvg-request crate (serde only: no burn/wgpu in this build) and validated; a valid
//! request must survive a JSON round trip (what a host that stores requests does) and stay valid.
#![no_main]

use clipvg_document::Limits;
use clipvg_request::{EditRequest, Preset, RenderRequest, RequestError, VectorizeRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Parses `json` as `T`; a valid one is checked again after a round trip.
fn round_trip<T: Serialize + DeserializeOwned>(json: &str, validate: impl Fn(&T) -> Result<(), RequestError>) -> Option<T> {
    let parsed: T = serde_json::from_str(json).ok()?;
    if validate(&parsed).is_ok() {
        let again = serde_json::to_string(&parsed).expect("a request serialises");
        match serde_json::from_str::<T>(&again) {
            Ok(back) => {
                if let Err(e) = validate(&back) {
                    panic!("a valid request is invalid after a JSON round trip: {e}\n{again}");
                }
            }
            Err(e) => panic!("a request does not re-parse: {e}\n{again}"),
        }
    }
    Some(parsed)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    if let Some(mut edit) = round_trip::<EditRequest<Limits>>(json, |r| r.validate()) {
        let _ = edit.validate_edit();
        let _ = (edit.prompt(), edit.model(), edit.background_rgba(), edit.whole_canvas_patches());
        edit.apply_preset(Preset::Fast);
        let _ = edit.validate();
    }
    round_trip::<RenderRequest<Limits>>(json, |r| r.validate());
    round_trip::<VectorizeRequest<Limits>>(json, |r| r.validate());
});
