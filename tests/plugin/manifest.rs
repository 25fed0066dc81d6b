//! The Inkscape `.inx` files and the host-neutral manifest (`plugin-manifest/clipvg.json`) say
//! the same thing: the same effects, each running the same action, with the same params (name,
//! type, default, range, options, dialog page) in the same order; and every param's default and
//! range is the one table's (`clipvg_request::fields`).

use std::collections::BTreeSet;
use std::path::Path;

use clipvg::plugin::manifest::{INKSCAPE_INX, Manifest, ManifestParam, ParamKind};
use clipvg::request::fields::{self, Field, FieldDefault};
use clipvg::request::{BackendChoice, EditMode, Named, Preset, Round};

/// One param as an `.inx` file declares it, in the manifest's terms.
#[derive(Debug, PartialEq)]
struct Param {
    name: String,
    group: Option<String>,
    kind: &'static str,
    default: String,
    min: Option<f64>,
    max: Option<f64>,
    precision: Option<u32>,
    options: Vec<String>,
}

/// One effect as an `.inx` file declares it.
#[derive(Debug)]
struct Effect {
    id: String,
    name: String,
    action: String,
    params: Vec<Param>,
    live_preview: bool,
    submenu: String,
    command: String,
}

fn number(node: roxmltree::Node<'_, '_>, attr: &str) -> Option<f64> {
    node.attribute(attr).map(|v| v.parse().unwrap_or_else(|_| panic!("{attr}=\"{v}\" is not a number")))
}

fn parse_inx(text: &str) -> Effect {
    let doc = roxmltree::Document::parse(text).expect("the .inx is well-formed XML");
    let root = doc.root_element();
    let child_text = |tag: &str| {
        root.descendants().find(|n| n.has_tag_name(tag)).and_then(|n| n.text()).unwrap_or_default().trim().to_string()
    };
    let mut action = String::new();
    let mut params = Vec::new();
    for p in root.descendants().filter(|n| n.has_tag_name("param")) {
        let name = p.attribute("name").expect("every param has a name").to_string();
        let kind = match p.attribute("type").expect("every param has a type") {
            "notebook" => continue,
            "string" if name == "action" => {
                assert_eq!(p.attribute("gui-hidden"), Some("true"), "the action param is hidden");
                action = p.text().unwrap_or_default().to_string();
                continue;
            }
            "string" => "string",
            "bool" => "bool",
            "int" => "int",
            "float" => "float",
            "optiongroup" => "enum",
            other => panic!("param {name} has a type the manifest does not know: {other}"),
        };
        let group =
            p.parent_element().filter(|e| e.has_tag_name("page")).and_then(|e| e.attribute("name")).map(str::to_string);
        let options: Vec<String> = p
            .children()
            .filter(|n| n.has_tag_name("option"))
            .map(|o| o.attribute("value").expect("option value").to_string())
            .collect();
        let default = if kind == "enum" {
            // An optiongroup's default is the text of the param if given, else its first option.
            p.text().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).unwrap_or_else(|| options[0].clone())
        } else {
            p.text().unwrap_or_default().to_string()
        };
        params.push(Param {
            name,
            group,
            kind,
            default,
            min: number(p, "min"),
            max: number(p, "max"),
            precision: number(p, "precision").map(|v| v as u32),
            options,
        });
    }
    let effect = root.descendants().find(|n| n.has_tag_name("effect")).expect("an <effect>");
    let command = root.descendants().find(|n| n.has_tag_name("command")).expect("a <command>");
    assert_eq!(command.attribute("location"), Some("inx"), "the shim is found next to the .inx");
    Effect {
        id: child_text("id"),
        name: child_text("name"),
        action,
        params,
        live_preview: effect.attribute("needs-live-preview") == Some("true"),
        submenu: root
            .descendants()
            .find(|n| n.has_tag_name("submenu"))
            .and_then(|n| n.attribute("name"))
            .unwrap_or_default()
            .into(),
        command: command.text().unwrap_or_default().trim().to_string(),
    }
}

fn expected(p: &ManifestParam) -> Param {
    let (kind, default) = match p.kind {
        ParamKind::String => ("string", p.default.as_str().expect("string default").to_string()),
        ParamKind::Bool => ("bool", p.default.as_bool().expect("bool default").to_string()),
        ParamKind::Int => ("int", p.default.as_i64().expect("int default").to_string()),
        ParamKind::Float => ("float", p.default.as_f64().expect("float default").to_string()),
        ParamKind::Enum => ("enum", p.default.as_str().expect("enum default").to_string()),
    };
    Param {
        name: p.name.clone(),
        group: p.group.clone(),
        kind,
        default,
        min: p.min,
        max: p.max,
        precision: p.precision,
        options: p.options.iter().map(|o| o.value.clone()).collect(),
    }
}

#[test]
fn inx_files_and_neutral_manifest_agree() {
    let manifest = Manifest::embedded().unwrap();
    let effects: Vec<Effect> = INKSCAPE_INX.iter().map(|(_, text)| parse_inx(text)).collect();
    let ids = |it: &mut dyn Iterator<Item = String>| it.collect::<BTreeSet<_>>();
    assert_eq!(
        ids(&mut effects.iter().map(|e| e.id.clone())),
        ids(&mut manifest.actions.iter().map(|a| a.id.clone())),
        "the .inx files and clipvg.json list different effects"
    );
    for action in &manifest.actions {
        let effect = effects.iter().find(|e| e.id == action.id).unwrap();
        assert_eq!(effect.action, action.action, "{}", action.id);
        assert_eq!(effect.name, action.name, "{}", action.id);
        assert_eq!(effect.live_preview, action.live_preview, "{}", action.id);
        assert!(!effect.live_preview, "{}: live preview stays off for slow actions", action.id);
        assert_eq!(effect.submenu, manifest.menu[0], "{}", action.id);
        assert_eq!(effect.command, "clipvg-inkscape", "{}", action.id);
        let want: Vec<Param> = action.params.iter().map(expected).collect();
        assert_eq!(effect.params, want, "{}: the .inx params differ from clipvg.json", action.id);
        for p in &want {
            if p.kind == "enum" {
                assert!(p.options.contains(&p.default), "{}: default of {} is not an option", action.id, p.name);
            }
        }
    }
}

#[test]
fn every_inx_file_is_installed_and_the_stable_names_hold() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin-manifest/inkscape");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".inx"))
        .collect();
    let embedded: BTreeSet<String> = INKSCAPE_INX.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(on_disk, embedded, "src/plugin/manifest.rs must embed every .inx file");

    // Names other tools rely on (issue 7).
    let manifest = Manifest::embedded().unwrap();
    let ids: Vec<&str> = manifest.actions.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["org.clipvg.edit", "org.clipvg.recolor", "org.clipvg.vectorize"]);
    let edit = &manifest.actions[0];
    for name in ["prompt", "mode", "iterations", "seed", "model", "backend"] {
        assert!(edit.params.iter().any(|p| p.name == name), "the edit dialog lacks `{name}`");
    }
}

/// A table default (the dialog's: the "from the preset" marker where there is one) as the `.inx`
/// files write it.
fn inx_default(f: &Field) -> String {
    match f.dialog_default() {
        FieldDefault::Number(v) if v.fract() == 0.0 => format!("{}", v as i64),
        FieldDefault::Number(v) => format!("{v}"),
        FieldDefault::Bool(b) => b.to_string(),
        FieldDefault::Text(t) => t.to_string(),
    }
}

/// Every param of every manifest (clipvg.json and each `.inx`) is a field of the one table
/// (`clipvg_request::fields`), with the table's default and the table's dialog range, and every
/// enum offers only names its type knows. A field a preset sets defaults to the table's "from
/// the preset" marker, which clipvg.json declares as its `unset`; the dialog range reaches it.
#[test]
fn manifest_params_match_the_table_field_by_field() {
    let manifest = Manifest::embedded().unwrap();
    let effects: Vec<Effect> = INKSCAPE_INX.iter().map(|(_, text)| parse_inx(text)).collect();
    let mut checked = 0;
    for action in &manifest.actions {
        let effect = effects.iter().find(|e| e.id == action.id).unwrap();
        for (p, inx) in action.params.iter().zip(&effect.params) {
            let f =
                fields::by_name(&p.name).unwrap_or_else(|| panic!("{}: `{}` is not in the table", action.id, p.name));
            let want_default = match f.dialog_default() {
                FieldDefault::Number(v) => serde_json::json!(v),
                FieldDefault::Bool(b) => serde_json::json!(b),
                FieldDefault::Text(t) => serde_json::json!(t),
            };
            let have_default = match &p.default {
                serde_json::Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
                v => v.clone(),
            };
            assert_eq!(have_default, want_default, "{}: default of `{}` (clipvg.json)", action.id, p.name);
            assert_eq!(p.unset, f.unset, "{}: `unset` of `{}` (clipvg.json)", action.id, p.name);
            assert_eq!(inx.name, p.name, "{}", action.id);
            assert_eq!(inx.default, inx_default(f), "{}: default of `{}` (.inx)", action.id, p.name);
            if matches!(p.kind, ParamKind::Int | ParamKind::Float) {
                assert_eq!((p.min, p.max), f.dialog_range(), "{}: range of `{}` (clipvg.json)", action.id, p.name);
                assert_eq!((inx.min, inx.max), f.dialog_range(), "{}: range of `{}` (.inx)", action.id, p.name);
            }
            let names: Option<Vec<&str>> = match p.name.as_str() {
                "mode" => Some(EditMode::VALUES.iter().map(|v| v.name).collect()),
                "backend" => Some(BackendChoice::VALUES.iter().map(|v| v.name).collect()),
                "rounds" => Some(Round::VALUES.iter().map(|v| v.name).collect()),
                "preset" => Some(
                    Preset::VALUES.iter().flat_map(|v| std::iter::once(&v.name).chain(v.aliases)).copied().collect(),
                ),
                _ => None,
            };
            if let Some(names) = names {
                for o in &p.options {
                    for value in o.value.split(',') {
                        assert!(names.contains(&value), "{}: `{}` offers unknown {value}", action.id, p.name);
                    }
                }
            }
            checked += 1;
        }
        assert_eq!(action.params.len(), effect.params.len(), "{}", action.id);
    }
    assert!(checked >= 20, "{checked} params checked");
}

/// The edit dialogs offer the Quality choice on their first page, `auto` by default, and the
/// raw settings a preset fills sit on the Advanced page at "from Quality", so the dialog's
/// defaults are the preset's.
#[test]
fn the_dialogs_default_to_the_auto_preset() {
    let manifest = Manifest::embedded().unwrap();
    for action in manifest.actions.iter().filter(|a| ["edit", "recolor"].contains(&a.action.as_str())) {
        let param = |name: &str| action.params.iter().find(|p| p.name == name);
        let quality = param("preset").unwrap_or_else(|| panic!("{}: no Quality choice", action.id));
        assert_eq!((quality.group.as_deref(), quality.label.as_str()), (Some("prompt"), "Quality"), "{}", action.id);
        assert_eq!(quality.default, serde_json::json!("auto"), "{}", action.id);
        assert_eq!(Preset::from_name(quality.default.as_str().unwrap()), Some(Preset::Auto));
        let offered: Vec<&str> = quality.options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(offered, ["auto", "draft", "paper"], "{}", action.id);
        for (name, _) in clipvg::request::PRESET_FIELDS {
            let Some(p) = param(name) else { continue };
            assert_eq!(p.group.as_deref(), Some("advanced"), "{}: `{name}` is advanced", action.id);
            assert_eq!(p.unset, p.default.as_f64(), "{}: `{name}` defaults to \"from Quality\"", action.id);
        }
    }
}
