//! The request of a plugin run, and the options of an engine: the JSON contract of every host.
//!
//! A host sends one JSON object per run (`clipvg_run`'s `request_json`): the fields of the
//! action's request type from the clipvg-request crate, [`EditRequest`] (edit, recolor),
//! [`RenderRequest`] (render) and [`VectorizeRequest`] (vectorize). A host may send one request
//! shape to every action: a field of another action's type is checked but not used. Every field
//! is optional, its default from the one table (`clipvg_request::fields`, the CLIPVG paper's for
//! the edit). Unknown fields are rejected with a message that names them, so a typo in a host
//! never silently falls back to a default.
//!
//! The selection (the ids of the objects the user selected, in selection order) is not part of
//! the request: it is host state and travels beside it (`clipvg_run`'s `selected`). For `edit`
//! and `recolor` each selected object is an element ROI and a trainable element.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

pub use crate::edit::EditRequest;
pub use clipvg_request::{BackendChoice, CanvasBox, EditMode, PixelBox, Roi, Round};

/// `render`'s request, with the document crate's budgets.
pub type RenderRequest = clipvg_request::RenderRequest<clipvg_document::Limits>;

/// `vectorize`'s request, with the document crate's budgets.
pub type VectorizeRequest = clipvg_request::VectorizeRequest<clipvg_document::Limits>;

/// One run's request as a host sent it: the fields of each action's type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    /// `edit` and `recolor` (and `inspect`'s budgets), its `preset` not applied yet: that needs
    /// the run's backend ([`crate::plugin::actions::edit_request_for`] applies `edit_preset`).
    pub edit: EditRequest,
    /// The preset fields the request gave, for filling the others from `edit.preset`.
    pub edit_preset: crate::edit::request::PresetFill,
    pub render: RenderRequest,
    pub vectorize: VectorizeRequest,
}

/// The options of an engine (`clipvg_engine_new`), fixed for its life.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineOptions {
    /// The CLIP model: a folder (config.json + model.safetensors) or a registry name. Default
    /// (also for an empty string): the registry's default model.
    pub model: Option<String>,
    /// Where the numeric work runs. Default: `auto`.
    pub backend: BackendChoice,
}

/// `invalid {what} JSON: …`, the host's text echoed between backticks bounded.
fn invalid_json(what: &str, message: &str) -> Error {
    Error::InvalidInput(format!("invalid {what} JSON: {}", clipvg_document::message::bound_quoted(message, '`')))
}

/// Parses JSON into `T`, with messages that say which document was wrong. An empty text (or only
/// whitespace) means `{}`: every field at its default.
fn from_json<T: for<'de> Deserialize<'de> + Default>(what: &str, json: &str) -> Result<T> {
    if json.trim().is_empty() {
        return Ok(T::default());
    }
    // serde_json's messages name the field ("unknown field `iters`, expected one of ...").
    serde_json::from_str(json).map_err(|e| invalid_json(what, &e.to_string()))
}

impl EngineOptions {
    /// Parses engine options; empty text = defaults.
    pub fn from_json(json: &str) -> Result<Self> {
        let mut options: EngineOptions = from_json("engine options", json)?;
        options.model = clipvg_request::non_blank(&options.model).map(str::to_string);
        Ok(options)
    }
}

/// The action request types' wire names.
const TYPES: [&[&str]; 3] =
    [clipvg_request::EDIT_FIELDS, clipvg_request::RENDER_FIELDS, clipvg_request::VECTORIZE_FIELDS];

impl Request {
    /// Parses a request; empty text = defaults. Checks every value's range.
    pub fn from_json(json: &str) -> Result<Self> {
        let map: Map<String, Value> = from_json("request", json)?;
        if let Some(unknown) = map.keys().find(|k| !TYPES.iter().any(|t| t.contains(&k.as_str()))) {
            let mut known: Vec<&str> = TYPES.concat();
            known.sort_unstable();
            known.dedup();
            let expected = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            return Err(invalid_json("request", &format!("unknown field `{unknown}`, expected one of {expected}")));
        }
        /// The fields of one action's type, parsed as that type.
        fn part<T: for<'de> Deserialize<'de>>(map: &Map<String, Value>, fields: &[&str]) -> Result<T> {
            let fields: Map<String, Value> =
                map.iter().filter(|(k, _)| fields.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
            serde_json::from_value(Value::Object(fields)).map_err(|e| invalid_json("request", &e.to_string()))
        }
        let request = Request {
            edit: part(&map, TYPES[0])?,
            edit_preset: crate::edit::request::PresetFill::of_keys(map.keys().map(String::as_str)),
            render: part(&map, TYPES[1])?,
            vectorize: part(&map, TYPES[2])?,
        };
        request.validate()?;
        Ok(request)
    }

    /// Checks the ranges of every numeric field and the shape of every ROI and box.
    pub fn validate(&self) -> Result<()> {
        let invalid = crate::edit::request::invalid;
        self.edit.validate().map_err(invalid)?;
        self.render.validate().map_err(invalid)?;
        self.vectorize.validate().map_err(invalid)
    }

    /// The budgets of the run (the same in every part).
    pub fn limits(&self) -> &clipvg_document::Limits {
        &self.edit.limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_request_is_the_paper_defaults() {
        let r = Request::from_json("").unwrap();
        assert_eq!(r, Request::default());
        assert_eq!(Request::from_json(" {} ").unwrap(), r);
        let e = &r.edit;
        assert_eq!((e.iterations, e.shape_lr, e.colour_lr, e.n_patches), (150, 0.2, 0.01, 64));
        assert_eq!((e.crop_ratio, e.w_roi, e.w_patch), (0.8, 30.0, 80.0));
    }

    #[test]
    fn unknown_field_is_named() {
        let e = Request::from_json(r#"{"prompt":"x","iters":3}"#).unwrap_err().to_string();
        assert!(e.starts_with("invalid request JSON: unknown field `iters`"), "{e}");
        let e = Request::from_json(r#"{"rois":[{"id":"a","promt":"x"}]}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field `promt`"), "{e}");
        let e = EngineOptions::from_json(r#"{"modle":"x"}"#).unwrap_err().to_string();
        assert!(e.contains("engine options") && e.contains("`modle`"), "{e}");
        let e = Request::from_json("[1]").unwrap_err().to_string();
        assert!(e.starts_with("invalid request JSON: invalid type"), "{e}");
    }

    #[test]
    fn one_shape_for_every_action_and_aliases() {
        let r = Request::from_json(r#"{"mode":"color","color_lr":0.5,"model":"  ","render_size":300}"#).unwrap();
        assert_eq!((r.edit.mode, r.edit.colour_lr, r.edit.model()), (EditMode::Colour, 0.5, None));
        assert_eq!((r.edit.render_size, r.render.render_size), (300, 300));
        let r = Request::from_json(r#"{"rounds":["coarse","fine"],"backend":"cpu","detail_box":[0,0,4,4]}"#).unwrap();
        assert_eq!((r.vectorize.rounds.len(), r.vectorize.backend), (2, Some(BackendChoice::Cpu)));
        assert_eq!(r.vectorize.detail_box, Some(PixelBox { x: 0.0, y: 0.0, width: 4.0, height: 4.0 }));
        assert_eq!((r.edit.backend, r.render.backend), (Some(BackendChoice::Cpu), Some(BackendChoice::Cpu)));
    }

    #[test]
    fn limits_are_optional_and_checked_by_name() {
        let r = Request::from_json(r#"{"limits":{"depth":5000}}"#).unwrap();
        assert_eq!(r.limits().depth, 5000);
        assert_eq!(r.limits().nodes, clipvg_document::Limits::default().nodes);
        let e = Request::from_json(r#"{"limits":{"dpeth":5}}"#).unwrap_err().to_string();
        assert!(e.contains("unknown field `dpeth`"), "{e}");
        let e = Request::from_json(&format!(r#"{{"{}":1}}"#, "y".repeat(100_000))).unwrap_err().to_string();
        assert!(e.len() < 1000 && e.contains("unknown field `yyy"), "{e}");
    }

    #[test]
    fn ranges_are_checked() {
        for bad in [
            r#"{"iterations":0}"#,
            r#"{"shape_lr":-1}"#,
            r#"{"crop_ratio":1.5}"#,
            r#"{"render_size":3}"#,
            r#"{"rounds":[]}"#,
            r#"{"rois":[{}]}"#,
            r#"{"rois":[{"id":"a","rect":[0,0,1,1]}]}"#,
            r#"{"rois":[{"rect":[0,0,0,1]}]}"#,
            r#"{"mode":"everything"}"#,
            r#"{"iterations":"ten"}"#,
            r#"{"refine_steps":100001}"#,
            r#"{"detail_box":[0,0,-1,1]}"#,
        ] {
            let e = Request::from_json(bad).expect_err(bad).to_string();
            assert!(e.starts_with("request field") || e.starts_with("invalid request JSON"), "{bad}: {e}");
        }
    }
}
