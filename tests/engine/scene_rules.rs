//! The document → scene rules, one test per rule: transforms, shapes, paints, CSS, `use`,
//! visibility, selection and ROIs, and what `inspect` reports.

use clipvg::scene::{BuildOptions, FillRule, GradientShape, LineCap, LineJoin, Paint, Trainable, build, rois_of};
use clipvg::svg::Document;
use clipvg::svg::style::Origin;

fn doc(body: &str) -> Document {
    Document::parse(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"100\" height=\"100\">{body}</svg>"
    ))
    .unwrap()
}

fn scene(body: &str) -> clipvg::scene::Built {
    build(&doc(body), &BuildOptions::default()).unwrap()
}

fn close(a: [f32; 2], b: [f32; 2]) -> bool {
    (a[0] - b[0]).abs() < 1e-4 && (a[1] - b[1]).abs() < 1e-4
}

#[test]
fn nested_transforms_reach_canvas_space() {
    let b = scene(
        r#"<g transform="translate(10,20)"><g transform="scale(2)"><path d="M1 1 L2 1 L2 2 Z" transform="rotate(90)"/></g></g>"#,
    );
    // rotate(90): (1,1) → (-1,1); scale 2 → (-2,2); translate → (8,22).
    assert!(close(b.scene.points[0], [8.0, 22.0]), "{:?}", b.scene.points[0]);
}

#[test]
fn viewbox_maps_user_units_to_pixels() {
    let d = Document::parse(r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 36 36"><path d="M36 36 L0 36 L0 0 Z"/></svg>"#).unwrap();
    let b = build(&d, &BuildOptions::default()).unwrap();
    assert_eq!((b.scene.width, b.scene.height), (200.0, 200.0));
    assert!(close(b.scene.points[0], [200.0, 200.0]));
}

#[test]
fn every_shape_element_becomes_cubic_subpaths() {
    let b = scene(
        r#"<rect x="1" y="2" width="10" height="5"/><rect width="10" height="10" rx="2"/>
           <circle cx="5" cy="5" r="3"/><ellipse cx="5" cy="5" rx="3" ry="1"/>
           <line x1="0" y1="0" x2="5" y2="5" stroke="black"/>
           <polyline points="0,0 5,0 5,5" stroke="red" fill="none"/><polygon points="0,0 5,0 5,5"/>
           <rect width="0" height="5"/><circle r="-1"/>"#,
    );
    let segs: Vec<u32> = b.scene.shapes.iter().map(|s| b.scene.segment_count(s)).collect();
    assert_eq!(segs, vec![4, 8, 4, 4, 1, 2, 3]);
    let closed: Vec<bool> = b.scene.shapes.iter().map(|s| b.scene.subpaths[s.subpaths.start as usize].closed).collect();
    assert_eq!(closed, vec![true, true, true, true, false, false, true]);
    // A line has a default black fill but no area; its stroke is what shows.
    assert!(b.scene.shapes[4].stroke.is_some());
    assert!(close(b.scene.points[0], [1.0, 2.0]));
}

#[test]
fn arcs_in_path_data() {
    let b = scene(r#"<path d="M 10 50 a 40 40 0 1 0 80 0 a 40 40 0 1 0 -80 0 z"/>"#);
    let sp = b.scene.subpaths[0];
    assert!(sp.closed && sp.segments >= 4);
    for p in b.scene.subpath_points(&sp).iter().step_by(3) {
        let r = ((p[0] - 50.0).powi(2) + (p[1] - 50.0).powi(2)).sqrt();
        assert!((r - 40.0).abs() < 1e-3, "on-curve point off the circle: {p:?}");
    }
}

#[test]
fn paints_colours_opacity_and_rules() {
    let b = scene(
        r##"<g opacity="0.5" fill="#ff0000" color="#0000ff">
             <path d="M0 0H1V1Z" fill-opacity="0.5" fill-rule="evenodd"/>
             <path d="M0 0H1V1Z" fill="currentColor" stroke="rgb(0,255,0)" stroke-width="4" stroke-linecap="round" stroke-linejoin="bevel"/>
             <path d="M0 0H1V1Z" fill="none"/>
           </g>"##,
    );
    let s = &b.scene;
    assert_eq!(s.shapes.len(), 2, "fill=none without stroke draws nothing");
    assert_eq!(s.colors[0], [1.0, 0.0, 0.0, 0.25]);
    assert_eq!(s.shapes[0].fill_rule, FillRule::EvenOdd);
    assert_eq!(s.colors[1], [0.0, 0.0, 1.0, 0.5]);
    let stroke = s.shapes[1].stroke.unwrap();
    assert_eq!(s.stroke_widths[stroke.width as usize], 4.0);
    assert_eq!((stroke.cap, stroke.join), (LineCap::Round, LineJoin::Bevel));
    let Paint::Solid(ci) = stroke.paint else { panic!() };
    assert_eq!(s.colors[ci as usize], [0.0, 1.0, 0.0, 0.5]);
}

#[test]
fn css_classes_style_attribute_and_origins() {
    let b = scene(
        r#"<style>.st0{fill:#4375B2;} .st1{fill:#90A5C7;stroke:#000}</style>
           <path class="st0" d="M0 0H1V1Z"/><path class="st1" style="fill:#ffffff" d="M0 0H1V1Z"/>"#,
    );
    let s = &b.scene;
    assert_eq!(s.colors[0], [0x43 as f32 / 255.0, 0x75 as f32 / 255.0, 0xB2 as f32 / 255.0, 1.0]);
    assert_eq!(b.map.shapes[0].colors[0].1.origin, Some(Origin::Css));
    assert_eq!(s.colors[1], [1.0, 1.0, 1.0, 1.0]);
    assert_eq!(b.map.shapes[1].colors[0].1.origin, Some(Origin::Style));
    assert!(s.shapes[1].stroke.is_some(), "the class's stroke still applies");
}

#[test]
fn gradients_user_space_and_bounding_box() {
    let b = scene(
        r##"<defs><linearGradient id="g"><stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#fff" stop-opacity="0.5"/></linearGradient>
             <radialGradient id="r" gradientUnits="userSpaceOnUse" cx="50" cy="50" r="10" gradientTransform="translate(5 0)" xlink:href="#g"/></defs>
           <rect x="10" y="20" width="40" height="10" fill="url(#g)"/>
           <rect width="100" height="100" fill="url(#r)"/>"##,
    );
    let s = &b.scene;
    assert_eq!(s.gradients.len(), 2);
    let g = &s.gradients[0];
    let apply = |m: [f32; 6], p: [f32; 2]| [m[0] * p[0] + m[2] * p[1] + m[4], m[1] * p[0] + m[3] * p[1] + m[5]];
    // Bounding-box units: the rect's corners map to (0,0) and (1,1).
    assert!(close(apply(g.canvas_to_gradient, [10.0, 20.0]), [0.0, 0.0]));
    assert!(close(apply(g.canvas_to_gradient, [50.0, 30.0]), [1.0, 1.0]));
    assert_eq!(g.shape, GradientShape::Linear { x1: 0.0, y1: 0.0, x2: 1.0, y2: 0.0 });
    assert_eq!(s.colors[g.first_color as usize + 1], [1.0, 1.0, 1.0, 0.5]);
    let r = &s.gradients[1];
    assert!(matches!(r.shape, GradientShape::Radial { cx: 50.0, r: 10.0, .. }));
    assert!(close(apply(r.canvas_to_gradient, [55.0, 50.0]), [50.0, 50.0]));
    assert_eq!(r.offsets, vec![0.0, 1.0]);
}

#[test]
fn use_of_shapes_and_groups_and_inheritance_through_use() {
    let b = scene(
        r##"<defs><g id="pair" ><path id="a" d="M0 0H1V1Z"/><path d="M0 0H2V2Z" fill="blue"/></g></defs>
           <use xlink:href="#pair" x="10" y="10" fill="#00ff00"/>
           <use href="#a" transform="translate(50 0)"/>
           <use href="#missing"/>"##,
    );
    let s = &b.scene;
    assert_eq!(s.shapes.len(), 3);
    assert!(close(s.points[0], [10.0, 10.0]));
    assert_eq!(s.colors[0], [0.0, 1.0, 0.0, 1.0], "fill inherited from the <use>");
    assert_eq!(s.colors[1], [0.0, 0.0, 1.0, 1.0]);
    assert!(close(s.points[s.subpaths[2].first_point as usize], [50.0, 0.0]));
    assert!(b.map.shapes.iter().all(|m| m.via_use));
    assert!(b.diagnostics.iter().any(|d| d.tag == "use"));
}

#[test]
fn display_visibility_and_unsupported() {
    let b = scene(
        r##"<g style="display:none"><path d="M0 0H1V1Z"/></g>
           <g visibility="hidden"><path d="M0 0H1V1Z"/><path visibility="visible" d="M0 0H1V1Z"/></g>
           <text>hi</text><image href="x.png" width="1" height="1"/>
           <path d="M0 0H1V1Z" clip-path="url(#c)" filter="url(#f)"/>
           <path d="M0 0 L 10 10 L NaN 5"/>"##,
    );
    assert_eq!(b.scene.shapes.len(), 3);
    let msgs: Vec<&str> = b.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(msgs.iter().any(|m| m.contains("text")));
    assert!(msgs.iter().any(|m| m.contains("bitmap")));
    assert!(msgs.iter().any(|m| m.contains("clip path")));
    assert!(msgs.iter().any(|m| m.contains("filter")));
    assert!(msgs.iter().any(|m| m.contains("path data")));
}

#[test]
fn degenerate_and_huge_input_never_panics() {
    let b = scene(
        r#"<path d="M0 0"/><path d="M 1e39 0 L 0 1 Z"/><path d="M 0 0 Z"/>
           <path d="M 0 0 L 0 0 Z"/><path transform="scale(0)" d="M0 0H1V1Z"/>
           <path d="M 1e8 0 L 0 1 L 5 5 Z"/><path d="M 0 0 L 1 1 L inf 2"/>"#,
    );
    // The zero-length path and the scale(0) path have no area but are valid scenes.
    assert!(b.scene.points.iter().flatten().all(|v| v.is_finite()));
    assert!(b.diagnostics.iter().any(|d| d.message.contains("finite")));
    assert!(b.diagnostics.iter().any(|d| d.message.contains("1e7")));
}

#[test]
fn selection_marks_trainable_shapes_and_rois() {
    let d = doc(
        r#"<g id="grp"><path id="p1" d="M10 10 H20 V20 Z"/><path id="p2" d="M30 30 H40 V50 Z" stroke="black" stroke-width="2"/></g>
           <path id="p3" d="M0 0 H5 V5 Z"/><path id="far" d="M500 500 H600 V600 Z"/>"#,
    );
    let sel = vec![d.require_id("grp").unwrap()];
    let b = build(&d, &BuildOptions { trainable: Trainable::Elements(sel.clone()), ..Default::default() }).unwrap();
    let t: Vec<bool> = b.scene.shapes.iter().map(|s| s.trainable).collect();
    assert_eq!(t, vec![true, true, false, false]);
    let mask = b.scene.point_trainable();
    assert_eq!(mask.iter().filter(|m| **m).count(), 18);
    let rois = rois_of(&d, &b.scene, &b.map, &sel).unwrap();
    let r = rois[0].rect;
    assert!((r[0] - 10.0).abs() < 1e-9 && (r[1] - 10.0).abs() < 1e-9);
    assert!((r[2] - 31.0).abs() < 1e-6 && (r[3] - 41.0).abs() < 1e-6, "{r:?}");
    // Outside the canvas: a clear error, not an empty ROI.
    let far = vec![d.require_id("far").unwrap()];
    assert!(rois_of(&d, &b.scene, &b.map, &far).is_err());
    assert!(matches!(d.require_id("nope"), Err(clipvg_document::Error::UnknownId(_))));
}

#[test]
fn inspect_reports_canvas_shapes_and_unsupported() {
    let d = doc(r##"<rect id="r" width="10" height="10" fill="#ff8000"/><text>x</text>"##);
    let rep = clipvg::inspect::inspect(&d).unwrap();
    let v = serde_json::to_value(&rep).unwrap();
    assert_eq!(v["canvas"]["width"], 100.0);
    assert_eq!(v["shapes"][0]["id"], "r");
    assert_eq!(v["shapes"][0]["element"], "rect");
    assert_eq!(v["shapes"][0]["segments"], 4);
    assert_eq!(v["shapes"][0]["fill"]["color"], "#ff8000");
    assert_eq!(v["unsupported"].as_array().unwrap().len(), 1);
    assert!(rep.to_text(10).contains("unsupported 1"));
}
