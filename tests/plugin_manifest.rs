//! The Inkscape `.inx` files and the host-neutral manifest (`plugin-manifest/clipvg.json`) say
//! the same thing: the same effects, each running the same action, with the same params (name,
//! type, default, range, options, dialog page) in the same order.

use std::collections::BTreeSet;
use std::path::Path;

use clipvg::plugin::manifest::{INKSCAPE_INX, Manifest, ManifestParam, ParamKind};

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
