//! Inkscape's command line for an effect, and the request it stands for.
//!
//! Inkscape 1.2 calls `clipvg-inkscape --id=ID… --name=value… DOCUMENT`: one `--id` per selected
//! object in selection order, one `--name=value` per param of the `.inx` (notebooks as `--tab=`,
//! booleans as `true`/`false`), and last the path of a temporary copy of the document. The
//! hidden param `action` names the clipvg action. Every other param is the request field of the
//! same name, typed by `plugin-manifest/clipvg.json` (embedded at build time), and left out at
//! its `unset` value (the dialog's "from Quality": the request's `preset` fills it).

use serde_json::{Map, Value};

/// The neutral manifest the `.inx` files were made from.
const MANIFEST: &str = include_str!("../../../plugin-manifest/clipvg.json");

/// Params Inkscape passes that are not request fields: the notebook's current page.
const IGNORED: [&str; 1] = ["tab"];

/// One run as Inkscape asked for it.
#[derive(Debug, PartialEq)]
pub struct Invocation {
    pub action: String,
    /// Selected ids in selection order.
    pub ids: Vec<String>,
    /// The request JSON object.
    pub request: Map<String, Value>,
    /// The temporary copy of the document.
    pub document: String,
}

/// Parses Inkscape's arguments (without the program name). Errors are one sentence for the user.
pub fn parse(args: &[String]) -> Result<Invocation, String> {
    let Some((document, options)) = args.split_last() else {
        return Err("clipvg-inkscape is run by Inkscape's Extensions menu, with a document path last".into());
    };
    if document.starts_with("--") {
        return Err("Inkscape passed no document path as the last argument".into());
    }
    let mut action = None;
    let mut ids = Vec::new();
    let mut params = Vec::new();
    for arg in options {
        let Some((name, value)) = arg.strip_prefix("--").and_then(|a| a.split_once('=')) else {
            return Err(format!("unexpected argument \"{arg}\" (Inkscape passes --name=value)"));
        };
        match name {
            "id" => ids.push(value.to_string()),
            "action" => action = Some(value.to_string()),
            _ if IGNORED.contains(&name) => {}
            _ => params.push((name, value)),
        }
    }
    let Some(action) = action else {
        return Err("the .inx file gave no action param: reinstall with `clipvg install inkscape`".into());
    };
    let request = request_of(&action, &params)?;
    Ok(Invocation { action, ids, request, document: document.clone() })
}

/// The manifest's entry for `action`, if it has one (test-only actions have none).
fn manifest_params(action: &str) -> Vec<Value> {
    let manifest: Value = serde_json::from_str(MANIFEST).expect("plugin-manifest/clipvg.json is valid JSON");
    manifest["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["action"] == action)
        .and_then(|a| a["params"].as_array().cloned())
        .unwrap_or_default()
}

/// The request for `params`, each value converted to its manifest type.
fn request_of(action: &str, params: &[(&str, &str)]) -> Result<Map<String, Value>, String> {
    let known = manifest_params(action);
    let mut request = Map::new();
    for &(name, raw) in params {
        let Some(spec) = known.iter().find(|p| p["name"] == name) else {
            return Err(format!(
                "the {action} command got an unknown parameter \"{name}\": the installed .inx files and \
                 clipvg-inkscape do not match; reinstall with `clipvg install inkscape`"
            ));
        };
        let value = match (spec["type"].as_str().unwrap_or("string"), spec["list_separator"].as_str()) {
            (_, Some(sep)) => Value::Array(raw.split(sep).map(|s| Value::from(s.trim())).collect()),
            ("bool", _) => match raw {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(format!("parameter {name} must be true or false, not \"{raw}\"")),
            },
            ("int", _) => raw
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("parameter {name} must be a whole number, not \"{raw}\""))?,
            ("float", _) => raw
                .trim()
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Value::from)
                .ok_or_else(|| format!("parameter {name} must be a number, not \"{raw}\""))?,
            _ => Value::from(raw),
        };
        if spec["unset"].as_f64().is_some_and(|unset| value.as_f64() == Some(unset)) {
            continue;
        }
        request.insert(name.to_string(), value);
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn inkscape_arguments_become_a_typed_request() {
        let inv = parse(&args(&[
            "--id=path1",
            "--id=g2",
            "--tab=advanced",
            "--action=edit",
            "--prompt=a=b, \"quoted\"",
            "--prompts_from_labels=true",
            "--iterations=12",
            "--shape_lr=0,5",
            "--model=",
            "/tmp/ink_ext_XXXXXX.svgABC",
        ]))
        .unwrap();
        assert_eq!(inv.action, "edit");
        assert_eq!(inv.ids, ["path1", "g2"]);
        assert_eq!(inv.document, "/tmp/ink_ext_XXXXXX.svgABC");
        let expected = serde_json::json!({
            "prompt": "a=b, \"quoted\"", "prompts_from_labels": true, "iterations": 12, "shape_lr": 0.5, "model": ""
        });
        assert_eq!(Value::Object(inv.request), expected);
        // At their "from Quality" values the preset's params are left out for the preset to fill.
        let inv = parse(&args(&[
            "--action=edit",
            "--preset=draft",
            "--iterations=0",
            "--shape_lr=0.000",
            "--colour_lr=0,0375",
            "--n_patches=-1",
            "x.svg",
        ]))
        .unwrap();
        assert_eq!(Value::Object(inv.request), serde_json::json!({"preset": "draft", "colour_lr": 0.0375}));
        let inv = parse(&args(&["--action=vectorize", "--rounds=coarse,fine", "in.svg"])).unwrap();
        assert_eq!(inv.request["rounds"], serde_json::json!(["coarse", "fine"]));
        // The palette text becomes a list (blank entries, as of an empty field, mean none).
        let inv = parse(&args(&["--action=recolor", "--palette=#ff0000, #0f0", "--snap=true", "--strength=0,5", "x"]))
            .unwrap();
        assert_eq!(
            Value::Object(inv.request),
            serde_json::json!({"palette": ["#ff0000", "#0f0"], "snap": true, "strength": 0.5})
        );
        let inv = parse(&args(&["--action=edit", "--palette=", "x.svg"])).unwrap();
        assert_eq!(inv.request["palette"], serde_json::json!([""]));
    }

    #[test]
    fn mistakes_are_one_sentence() {
        for (bad, needle) in [
            (&["--action=edit", "--iterations=many", "x.svg"][..], "whole number"),
            (&["--action=edit", "--whole_canvas_roi=yes", "x.svg"], "true or false"),
            (&["--action=edit", "--itterations=3", "x.svg"], "unknown parameter \"itterations\""),
            (&["--action=test-mark", "--prompt=x", "x.svg"], "unknown parameter"),
            (&["--prompt=x", "x.svg"], "no action param"),
            (&["--action=edit", "stray", "x.svg"], "unexpected argument"),
            (&["--action=edit"], "no document path"),
            (&[], "Extensions menu"),
        ] {
            let e = parse(&args(bad)).unwrap_err();
            assert!(e.contains(needle), "{bad:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
