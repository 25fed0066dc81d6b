//! The request types against their wire: field lists, aliases, defaults from the table.

use serde_json::{Value, json};

use crate::*;

/// `limits` stands in as a map here (the engine's type is `clipvg_document::Limits`).
type Limits = std::collections::BTreeMap<String, u64>;

/// The keys a default serialises to, plus the aliases, are exactly `list`.
fn fields_match<T: Default + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug>(
    list: &[&str],
    aliases: &[(&str, &str)],
) {
    let Value::Object(default) = serde_json::to_value(T::default()).unwrap() else { panic!("an object") };
    let mut want: Vec<&str> = default.keys().map(String::as_str).chain(aliases.iter().map(|a| a.0)).collect();
    let mut have = list.to_vec();
    want.sort();
    have.sort();
    assert_eq!(have, want);
    for (alias, canonical) in aliases {
        let v = json!({ *alias: default[*canonical].clone() });
        serde_json::from_value::<T>(v).unwrap_or_else(|e| panic!("{alias}: {e}"));
    }
    let e = serde_json::from_value::<T>(json!({"no_such_field": 1})).unwrap_err().to_string();
    assert!(e.contains("unknown field `no_such_field`"), "{e}");
}

#[test]
fn field_lists_match_the_types() {
    let aliases = [
        ("whole_canvas", "whole_canvas_roi"),
        ("templates", "prompt_templates"),
        ("color_lr", "colour_lr"),
        ("size", "render_size"),
        ("quality", "preset"),
    ];
    fields_match::<EditRequest<Limits>>(EDIT_FIELDS, &aliases);
    fields_match::<RenderRequest<Limits>>(RENDER_FIELDS, &[]);
    fields_match::<VectorizeRequest<Limits>>(VECTORIZE_FIELDS, &[]);
}

#[test]
fn defaults_are_the_table_and_the_paper() {
    let r = EditRequest::<Limits>::default();
    assert_eq!((r.iterations, r.shape_lr, r.colour_lr, r.n_patches), (150, 0.2, 0.01, 64));
    assert_eq!((r.crop_ratio, r.w_roi, r.w_patch, r.render_size), (0.8, 30.0, 80.0, 512));
    assert_eq!((r.distortion, r.xing_weight, r.seed, r.reference_text.as_str()), (0.3, 0.0, 0, "A photo"));
    assert!(r.prompt_templates && !r.whole_canvas_roi && !r.prompts_from_labels);
    let paper = Preset::Paper.settings();
    assert_eq!((paper.iterations, paper.n_patches, paper.render_size), (150, 64, 512));
    assert_eq!((paper.shape_lr, paper.colour_lr), (r.shape_lr, r.colour_lr));
    assert_eq!(r.preset, None, "a request without a preset keeps the table's values");
    let v = VectorizeRequest::<Limits>::default();
    assert_eq!(v.rounds, [Round::Coarse, Round::Fine]);
    assert_eq!(RenderRequest::<Limits>::default().render_size, 512);
    // Every numeric field of the table reaches the type's default.
    let wire = serde_json::to_value(&r).unwrap();
    for f in fields::FIELDS {
        if let (fields::FieldDefault::Number(d), Some(v)) = (f.default, wire.get(f.name)) {
            assert_eq!(v.as_f64().map(|v| v as f32), Some(d as f32), "{}", f.name);
        }
    }
}

#[test]
fn old_spellings_boxes_and_background() {
    let r: EditRequest<Limits> = serde_json::from_str(
        r#"{"whole_canvas": true, "templates": false, "color_lr": 0.5, "size": 64, "mode": "color",
            "rois": [{"id": "a"}, {"element": "b", "n_patches": 3}, {"rect": [1, 2, 3, 4]}],
            "background_layer": true}"#,
    )
    .unwrap();
    assert!(r.whole_canvas_roi && !r.prompt_templates);
    assert_eq!((r.colour_lr, r.render_size, r.mode), (0.5, 64, EditMode::Colour));
    assert_eq!(r.rois[0], Roi::element("a"));
    assert_eq!(r.rois[1].n_patches, Some(3));
    assert_eq!(r.rois[2].rect, Some(CanvasBox { x: 1.0, y: 2.0, width: 3.0, height: 4.0 }));
    assert_eq!(r.background_rgba(), Some([0.5, 0.5, 0.5, 1.0]));
    r.validate_edit().unwrap();
    let r: EditRequest<Limits> = serde_json::from_str(r#"{"background_layer": [1, 0, 0, 0.5]}"#).unwrap();
    assert_eq!(r.background_rgba(), Some([1.0, 0.0, 0.0, 0.5]));
    let e = serde_json::from_str::<EditRequest<Limits>>(r#"{"rois": [{"id": "a", "promt": "x"}]}"#).unwrap_err();
    assert!(e.to_string().contains("unknown field `promt`"), "{e}");
}

#[test]
fn ranges_are_checked_with_the_field_named() {
    for (bad, needle) in [
        (r#"{"iterations": 0}"#, "request field `iterations` must be between 1 and 100000, not 0"),
        (r#"{"shape_lr": -1}"#, "`shape_lr` must be a number ≥ 0"),
        (r#"{"crop_ratio": 1.5}"#, "`crop_ratio` must be in (0, 1]"),
        (r#"{"render_size": 3}"#, "`render_size` must be between 16 and 8192"),
        (r#"{"rois": [{}]}"#, "`rois[0]` must have exactly one of"),
        (r#"{"rois": [{"id": "a", "rect": [0, 0, 1, 1]}]}"#, "`rois[0]` must have exactly one of"),
        (r#"{"rois": [{"rect": [0, 0, 0, 1]}]}"#, "`rois[0].rect` must be [x, y, width, height]"),
        (r#"{"rois": [{"id": "a", "n_patches": 600}]}"#, "`rois[0].n_patches` must be at most 512, not 600"),
        (r#"{"background_layer": [2, 0, 0, 1]}"#, "`background_layer` must be a colour"),
    ] {
        let r: EditRequest<Limits> = serde_json::from_str(bad).unwrap();
        let e = r.validate().expect_err(bad).to_string();
        assert!(e.contains(needle), "{bad}: {e}");
    }
    let r = EditRequest::<Limits> { render_size: 5000, whole_canvas_roi: true, ..Default::default() };
    r.validate().unwrap();
    assert!(r.validate_edit().unwrap_err().to_string().starts_with("render_size: edits render at most 4096"));
    let e = EditRequest::<Limits>::default().validate_edit().unwrap_err().to_string();
    assert!(e.starts_with("nothing to edit"), "{e}");
    let v: VectorizeRequest<Limits> = serde_json::from_str(r#"{"rounds": []}"#).unwrap();
    assert!(v.validate().is_err());
    let v: VectorizeRequest<Limits> =
        serde_json::from_str(r#"{"detail_box": [0, 0, 5, 5], "rounds": ["fine"]}"#).unwrap();
    v.validate().unwrap();
}

#[test]
fn presets_set_the_request_wide_patch_count() {
    let mut r =
        EditRequest::<Limits> { whole_canvas_patches: Some(5), rois: vec![Roi::element("a")], ..Default::default() };
    r.rois[0].n_patches = Some(6);
    assert_eq!(r.whole_canvas_patches(), 5);
    r.apply_preset(Preset::Fast);
    assert_eq!((r.iterations, r.render_size, r.n_patches, r.whole_canvas_patches()), (40, 384, 8, 8));
    assert_eq!((r.shape_lr, r.colour_lr), (0.75, 0.0375));
    assert_eq!(r.rois[0].n_patches, None);
}

/// Fewer iterations take proportionally larger steps: iterations × learning rate, the distance
/// Adam covers, is the paper's for every preset.
#[test]
fn every_preset_moves_as_far_as_the_papers() {
    let paper = Preset::Paper.settings();
    for p in [Preset::Paper, Preset::Fast, Preset::Auto.resolve(false), Preset::Auto.resolve(true)] {
        let s = p.settings();
        let reach = |lr: f32, n: usize| lr as f64 * n as f64;
        assert!((reach(s.shape_lr, s.iterations) - reach(paper.shape_lr, paper.iterations)).abs() < 1e-5, "{p:?}");
        assert!((reach(s.colour_lr, s.iterations) - reach(paper.colour_lr, paper.iterations)).abs() < 1e-6, "{p:?}");
    }
    let fast = Preset::Fast.settings();
    assert_eq!((fast.iterations, fast.n_patches, fast.render_size), (40, 8, 384));
    assert_eq!((fast.shape_lr, fast.colour_lr), (0.75, 0.0375));
    assert_eq!((Preset::Auto.resolve(true), Preset::Auto.resolve(false)), (Preset::Paper, Preset::Fast));
    assert_eq!(Preset::Paper.resolve(false), Preset::Paper);
    assert_eq!(Preset::default(), Preset::Auto);
}

/// `fill_preset` sets only what was not given; ROIs' own patch counts stay.
#[test]
fn a_preset_fills_only_the_fields_not_given() {
    let mut r: EditRequest<Limits> = serde_json::from_str(
        r#"{"quality": "draft", "iterations": 7, "color_lr": 0.5, "rois": [{"id": "a", "n_patches": 3}]}"#,
    )
    .unwrap();
    assert_eq!(r.preset, Some(Preset::Fast));
    r.fill_preset(Preset::Fast.settings(), |name| ["iterations", "colour_lr"].contains(&name));
    assert_eq!((r.iterations, r.colour_lr, r.shape_lr), (7, 0.5, 0.75));
    assert_eq!((r.n_patches, r.render_size, r.rois[0].n_patches), (8, 384, Some(3)));
    let names: Vec<&str> =
        PRESET_FIELDS.iter().flat_map(|(n, a)| std::iter::once(n).chain(a.iter())).copied().collect();
    assert!(names.iter().all(|n| EDIT_FIELDS.contains(n)), "{names:?}");
    assert_eq!(PRESET_FIELDS.len(), 5);
}
