//! Hostile documents (issue 10): every one either works or fails with a clean error naming the
//! budget, within seconds, without a huge allocation, on a 256 KB thread stack (what a host may
//! give us), and write-back never returns text that is not a faithful edit of the input.
//!
//! Each test runs its body on a fresh thread with a 256 KB stack; a counting allocator tracks
//! that thread's peak heap use, and the elapsed time is asserted loosely (a hang guard).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use clipvg_document::scene::{BuildOptions, Trainable, WriteBack, build, build_with, write_back, write_back_with};
use clipvg_document::svg::{Document, Editor};
use clipvg_document::{ElementProblem, Error, Limits, Stage, WriteBackFault, no_progress};

struct Counting;

thread_local! {
    static CURRENT: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn account(delta: i64) {
    let _ = CURRENT.try_with(|c| {
        let v = c.get().saturating_add(delta);
        c.set(v);
        let _ = PEAK.try_with(|p| {
            if v > p.get() {
                p.set(v)
            }
        });
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            account(layout.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        account(-(layout.size() as i64));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            account(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Loose bounds: a hang or an expansion bomb is orders of magnitude beyond them.
const TIME: Duration = Duration::from_secs(20);
const HEAP: i64 = 1 << 30;

/// Runs `f` on a new thread with a 256 KB stack; returns its result, elapsed time and peak heap
/// (of that thread, counting only what it allocated itself beyond its input).
fn hostile<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (value, elapsed, peak) = std::thread::Builder::new()
        .name(name.into())
        .stack_size(256 * 1024)
        .spawn(move || {
            let start = Instant::now();
            let v = f();
            (v, start.elapsed(), PEAK.with(|p| p.get()))
        })
        .expect("spawn")
        .join()
        .expect("the hostile input crashed its thread");
    eprintln!("{name}: {elapsed:?}, peak heap {} MB", peak >> 20);
    assert!(elapsed < TIME, "{name} took {elapsed:?}");
    assert!(peak < HEAP, "{name} allocated {peak} bytes at its peak");
    value
}

fn svg(body: &str) -> String {
    format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\">{body}</svg>")
}

fn limit_field(r: &Result<impl std::fmt::Debug, Error>) -> Option<&'static str> {
    match r {
        Err(Error::Limit(l)) => Some(l.field),
        _ => None,
    }
}

/// Parse, build (everything trainable), move every point a little and write back; the result
/// must re-parse and differ from the input.
fn round_trip(text: String, limits: Limits) -> Result<String, Error> {
    let doc = Document::parse_with(text, &limits, &mut no_progress())?;
    let options = BuildOptions { trainable: Trainable::All, limits };
    let built = build(&doc, &options)?;
    let mut updated = built.scene.clone();
    for p in &mut updated.points {
        p[0] += 0.5;
    }
    let out =
        write_back_with(&doc, &built.scene, &built.map, &updated, WriteBack::default(), &limits, &mut no_progress())?;
    Document::parse_with(out.as_str(), &limits, &mut no_progress())?;
    Ok(out)
}

fn deep_groups(depth: usize) -> String {
    let mut s = String::with_capacity(depth * 8 + 200);
    s.push_str("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\">");
    for _ in 0..depth {
        s.push_str("<g>");
    }
    s.push_str("<path id=\"deep\" d=\"M10 10 L90 10 L50 90 Z\" fill=\"#ff0000\"/>");
    for _ in 0..depth {
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

#[test]
fn deep_nesting_is_refused_at_the_depth_limit() {
    let r = hostile("deep-default", || round_trip(deep_groups(100_000), Limits::default()));
    assert_eq!(limit_field(&r), Some("depth"), "{r:?}");
    let msg = r.unwrap_err().to_string();
    assert!(msg.contains("depth") && msg.contains("1024"), "{msg}");
}

#[test]
fn deep_nesting_works_when_the_limit_is_raised() {
    let limits = Limits { depth: 200_000, ..Limits::default() };
    let out = hostile("deep-raised", move || round_trip(deep_groups(100_000), limits)).expect("deep document");
    assert!(out.contains("id=\"deep\""));
    assert!(out.contains("C "), "the path was rewritten");
}

#[test]
fn long_runs_of_path_commands() {
    let zs = format!("M10 10 L20 20{} L30 30", "z".repeat(100_000));
    let r = hostile("z-run", move || round_trip(svg(&format!("<path d=\"{zs}\"/>")), Limits::default()));
    r.expect("100,000 z");
    let ls: String = (0..100_000).map(|i| format!(" l{} 1", i % 7)).collect();
    let doc = svg(&format!("<path d=\"M0 0{ls}\"/>"));
    let d2 = doc.clone();
    hostile("l-run", move || round_trip(d2, Limits::default())).expect("100,000 l");
    let small = Limits { segments: 1000, ..Limits::default() };
    let r = hostile("l-run-limited", move || round_trip(doc, small));
    assert_eq!(limit_field(&r), Some("segments"), "{r:?}");
    let points: String = (0..100_000).map(|i| format!(" {} {}", i % 100, i % 7)).collect();
    let doc = svg(&format!("<polygon points=\"{points}\"/>"));
    let r = hostile("polygon-limited", move || round_trip(doc, small));
    assert_eq!(limit_field(&r), Some("segments"), "{r:?}");
}

/// `levels` of `<g>` each holding `fan` `<use>` of the level below; a path at the bottom.
fn use_bomb(fan: usize, levels: usize) -> String {
    let mut body = String::from("<defs><path id=\"l0\" d=\"M0 0 L10 0 L10 10 Z\"/>");
    for l in 1..=levels {
        body.push_str(&format!("<g id=\"l{l}\">"));
        for _ in 0..fan {
            body.push_str(&format!("<use href=\"#l{}\"/>", l - 1));
        }
        body.push_str("</g>");
    }
    body.push_str(&format!("</defs><use href=\"#l{levels}\"/>"));
    svg(&body)
}

#[test]
fn use_bombs_are_counted_before_building() {
    let r = hostile("use-bomb", || round_trip(use_bomb(10, 7), Limits::default()));
    assert!(matches!(limit_field(&r), Some("nodes" | "shapes")), "{r:?}");
    // 10 per level, 20 levels: 10^20 instances, saturating arithmetic.
    let r = hostile("use-bomb-20", || round_trip(use_bomb(10, 20), Limits::default()));
    assert!(matches!(limit_field(&r), Some("nodes" | "shapes")), "{r:?}");
    // A small one is fine: 3^4 = 81 shapes, drawn, not trainable (via <use>).
    let built = hostile("use-small", || {
        let doc = Document::parse(use_bomb(3, 4)).unwrap();
        build(&doc, &BuildOptions::default()).map(|b| b.scene.shapes.len())
    });
    assert_eq!(built.unwrap(), 81);
}

#[test]
fn use_cycles_draw_nothing_and_terminate() {
    // Ten mutually recursive groups, each using every other one: no acyclic expansion at all.
    let mut body = String::from("<defs>");
    for i in 0..10 {
        body.push_str(&format!("<g id=\"c{i}\"><path d=\"M0 0 L1 1 L0 1 Z\"/>"));
        for j in 0..10 {
            body.push_str(&format!("<use href=\"#c{j}\"/>"));
        }
        body.push_str("</g>");
    }
    body.push_str("</defs><use href=\"#c0\"/><g id=\"self\"><use href=\"#self\"/></g>");
    let r = hostile("use-cycles", move || {
        let doc = Document::parse(svg(&body)).unwrap();
        build(&doc, &BuildOptions::default()).map(|b| (b.scene.shapes.len(), b.diagnostics.len()))
    });
    let (shapes, diagnostics) = r.expect("cycles are skipped");
    // c0's own path is drawn; every <use> inside the cycle is reported and skipped.
    assert_eq!(shapes, 1);
    assert!(diagnostics >= 1);
}

#[test]
fn huge_arcs_are_bounded() {
    for (name, radius) in [("arc-1e150", "1e150"), ("arc-3.4e38", "3.4e38"), ("arc-1e308", "1e308")] {
        let d = format!("M10 10 A{radius} {radius} 0 1 1 20 10 A{radius} {radius} 0 0 0 10 10 Z");
        let text = svg(&format!("<path d=\"{d}\" fill=\"red\"/>"));
        let r = hostile(name, move || {
            let doc = Document::parse(text).unwrap();
            build(&doc, &BuildOptions { trainable: Trainable::All, ..Default::default() })
                .map(|b| (b.scene.subpaths.iter().map(|s| s.segments).sum::<u32>(), b.diagnostics))
        });
        let (segments, diagnostics) = r.expect("huge arcs build");
        assert!(segments <= 2 * 16 + 1, "{name}: {segments} segments, {diagnostics:?}");
    }
    // Numbers beyond f64 are refused by the number parser: drawn up to the error, reported.
    let text = svg("<path d=\"M0 0 L10 0 A1e400 1e400 0 1 1 20 10 Z\"/>");
    let b = hostile("arc-1e400", move || build(&Document::parse(text).unwrap(), &BuildOptions::default()).unwrap());
    assert!(b.scene.shapes.len() <= 1);
}

#[test]
fn entity_bombs_are_refused_before_expansion() {
    let big = "x".repeat(1 << 20);
    let refs = "&e;".repeat(4000);
    let text = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY e \"{big}\">]><svg xmlns=\"http://www.w3.org/2000/svg\"><desc>{refs}</desc></svg>"
    );
    let r = hostile("entity-1mb-x4000", move || Document::parse(text).map(|d| d.len()));
    assert_eq!(limit_field(&r), Some("entity_bytes"), "{r:?}");

    // Ten levels of ten (roxmltree's own loop detector stops nesting deeper than 10) and five
    // levels of 200 (within its 255 references per level: 200⁴ × 9 bytes = 14 GB).
    let mut dtd = String::from("<!ENTITY l0 \"lol\">");
    for i in 1..10 {
        dtd.push_str(&format!("<!ENTITY l{i} \"{}\">", format!("&l{};", i - 1).repeat(10)));
    }
    let mut wide = String::from("<!ENTITY w0 \"lollollol\">");
    for i in 1..5 {
        wide.push_str(&format!("<!ENTITY w{i} \"{}\">", format!("&w{};", i - 1).repeat(200)));
    }
    let text = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE svg [{dtd}]><svg xmlns=\"http://www.w3.org/2000/svg\"><desc>&l9;</desc><rect fill=\"&l9;\"/></svg>"
    );
    let r = hostile("billion-laughs", move || Document::parse(text).map(|d| d.len()));
    assert_eq!(limit_field(&r), Some("entity_bytes"), "{r:?}");
    let text = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE svg [{wide}]><svg xmlns=\"http://www.w3.org/2000/svg\"><desc>&w4;</desc></svg>"
    );
    let r = hostile("wide-laughs", move || Document::parse(text).map(|d| d.len()));
    assert_eq!(limit_field(&r), Some("entity_bytes"), "{r:?}");
    // The same through an attribute value only.
    let attrs = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE svg [{wide}]><svg xmlns=\"http://www.w3.org/2000/svg\"><rect fill=\"&w4;\"/></svg>"
    );
    let r = hostile("billion-laughs-attribute", move || Document::parse(attrs).map(|d| d.len()));
    assert_eq!(limit_field(&r), Some("entity_bytes"), "{r:?}");
    // Declared as parameter entities (roxmltree makes them referable as `&name;` too).
    let pe = wide.replace("<!ENTITY w", "<!ENTITY % w");
    let text = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE svg [{pe}]><svg xmlns=\"http://www.w3.org/2000/svg\"><desc>&w4;</desc></svg>"
    );
    let r = hostile("parameter-entity-laughs", move || Document::parse(text).map(|d| d.len()));
    assert_eq!(limit_field(&r), Some("entity_bytes"), "{r:?}");

    // Small entities still work.
    let text = "<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY c \"#00ff00\"><!ENTITY two \"&c;&c;\">]><svg xmlns=\"http://www.w3.org/2000/svg\"><rect id=\"r\" fill=\"&c;\" width=\"1\" height=\"1\"/><desc>&two;</desc></svg>";
    let doc = Document::parse(text).unwrap();
    assert_eq!(doc.element(doc.by_id("r").unwrap()).attr("fill"), Some("#00ff00"));
}

#[test]
fn many_css_rules() {
    let rules: String = (0..100_000).map(|i| format!(".c{i}{{fill:#{:06x}}}", i % 0xffffff)).collect();
    let few = svg(&format!("<style>{rules}</style><rect class=\"c99999\" width=\"10\" height=\"10\"/>"));
    let r = hostile("css-100k-few-elements", move || round_trip(few, Limits::default()));
    let out = r.expect("100k rules × 3 elements is within the budget");
    assert!(out.contains("c99999"));
    let shapes: String = (0..1000).map(|i| format!("<rect class=\"c{i}\" width=\"1\" height=\"1\"/>")).collect();
    let many = svg(&format!("<style>{rules}</style>{shapes}"));
    let r = hostile("css-100k-x-1000", move || round_trip(many, Limits::default()));
    assert_eq!(limit_field(&r), Some("css_matches"), "{r:?}");
}

#[test]
fn backtracking_selectors_stay_within_the_css_budget() {
    // 20 descendant parts against 1,000 nested matching groups: exponential backtracking
    // without the work count.
    let selector = String::from("x ") + &vec!["g"; 20].join(" ") + " path";
    let mut body = format!("<style>{selector} {{fill:red}}</style>");
    for _ in 0..1000 {
        body.push_str("<g>");
    }
    body.push_str("<path d=\"M0 0 L1 1 L0 1 Z\"/>");
    for _ in 0..1000 {
        body.push_str("</g>");
    }
    let text = svg(&body);
    let r = hostile("css-backtracking", move || round_trip(text, Limits::default()));
    assert_eq!(limit_field(&r), Some("css_matches"), "{r:?}");
}

#[test]
fn many_attributes_on_one_element() {
    let attrs: String = (0..100_000).map(|i| format!(" a{i}=\"{i}\"")).collect();
    let text = svg(&format!("<rect{attrs} width=\"1\" height=\"1\"/>"));
    let r = hostile("attributes-100k", move || round_trip(text, Limits::default()));
    assert_eq!(limit_field(&r), Some("attributes"), "{r:?}");
    let attrs: String = (0..900).map(|i| format!(" a{i}=\"{i}\"")).collect();
    let text = svg(&format!("<rect{attrs} width=\"1\" height=\"1\"/>"));
    hostile("attributes-900", move || round_trip(text, Limits::default())).expect("900 attributes");
}

const ENTITY_DOC: &str = r##"<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY shape "<path id='inner' fill='#0007ff' d='M0 0L10 0L10 10Z'/>">
  <!ENTITY red "#ff0000">
]>
<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><g id="g">&shape;&shape;</g><rect id="plain" fill="&red;" width="5" height="5"/></svg>"##;

#[test]
fn entity_defined_selection_is_refused_not_corrupted() {
    let doc = Document::parse(ENTITY_DOC).unwrap();
    let g = doc.by_id("g").unwrap();
    // Selecting it: refused up front, naming the element.
    let r = build(&doc, &BuildOptions { trainable: Trainable::Elements(vec![g]), ..Default::default() });
    match r {
        Err(e @ Error::FromEntity { in_selection: true, .. }) => {
            let m = e.to_string();
            assert!(m.contains("inner") && m.contains("entity"), "{m}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Everything trainable: the entity's shapes are frozen; the plain rect is edited.
    let built = build(&doc, &BuildOptions { trainable: Trainable::All, ..Default::default() }).unwrap();
    assert_eq!(built.scene.shapes.len(), 3);
    assert_eq!(built.scene.shapes.iter().filter(|s| s.trainable).count(), 1);
    let mut updated = built.scene.clone();
    for c in &mut updated.colors {
        c[1] = 0.5;
    }
    for p in &mut updated.points {
        p[0] += 1.0;
    }
    let out = write_back(&doc, &built.scene, &built.map, &updated, WriteBack { force: true }).unwrap();
    let re = Document::parse(out.as_str()).expect("well-formed");
    assert!(out.contains("<!ENTITY shape \"<path id='inner' fill='#0007ff' d='M0 0L10 0L10 10Z'/>\">"), "{out}");
    assert_eq!(re.element(re.by_id("plain").unwrap()).name, "path");
    // Editing it by hand through the checked editor: refused.
    let inner = doc.element(g).children[0];
    let mut ed = Editor::new(&doc);
    ed.set_attribute(inner, "fill", "#020304");
    match ed.finish_checked() {
        Err(e @ Error::FromEntity { in_selection: false, .. }) => assert!(e.to_string().contains("inner"), "{e}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn writeback_check_catches_bad_output() {
    let text = svg("<rect id=\"a\" width=\"1\" height=\"1\"/><circle id=\"b\" r=\"1\"/>");
    let doc = Document::parse(text.as_str()).unwrap();
    let (a, b) = (doc.by_id("a").unwrap(), doc.by_id("b").unwrap());
    // Malformed replacement markup.
    let mut ed = Editor::new(&doc);
    ed.replace_element(a, "<g><rect></g>");
    assert!(matches!(ed.finish_checked(), Err(Error::EditedUnparsable(_))));
    // Losing an edited element's id.
    let mut ed = Editor::new(&doc);
    ed.remove_attribute(b, "id");
    match ed.finish_checked() {
        Err(e @ Error::WriteBack(WriteBackFault::Element { problem: ElementProblem::LostId, .. })) => {
            let Error::WriteBack(WriteBackFault::Element { id, .. }) = &e else { unreachable!() };
            assert_eq!(id.as_deref(), Some("b"));
            assert_eq!(
                e.to_string(),
                "cannot write the result back: checking the edited document: <circle id=\"b\"> lost its id; nothing was written"
            );
        }
        other => panic!("expected a failed check, got {other:?}"),
    }
    // A replacement that swallows the next element's start changes an untouched element.
    let mut ed = Editor::new(&doc);
    ed.replace_element(a, "<rect id=\"a\"/><circle id=\"b\" r=\"9\"/><!--");
    assert!(matches!(ed.finish_checked(), Err(Error::WriteBack(_) | Error::EditedUnparsable(_))));
    // A good edit passes and matches the unchecked text.
    let mut ed = Editor::new(&doc);
    ed.set_attribute(b, "r", "2");
    let checked = ed.finish_checked().unwrap();
    let mut ed = Editor::new(&doc);
    ed.set_attribute(b, "r", "2");
    assert_eq!(checked, ed.finish());
}

#[test]
fn cancel_stops_every_stage() {
    let shapes: String = (0..20_000).map(|i| format!("<rect x=\"{}\" width=\"1\" height=\"1\"/>", i % 100)).collect();
    let text = svg(&shapes);
    let limits = Limits::default();
    // Parse: stop at the second report.
    let mut calls = 0;
    let r = Document::parse_with(text.as_str(), &limits, &mut |_, _| {
        calls += 1;
        calls < 2
    });
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    let doc = Document::parse(text.as_str()).unwrap();
    // Build: stop once the walk has started.
    let mut seen = Vec::new();
    let options = BuildOptions { trainable: Trainable::All, ..Default::default() };
    let r = build_with(&doc, &options, &mut |stage, f| {
        seen.push((stage, f));
        !(stage == Stage::Build && f > 0.1)
    });
    assert!(matches!(r, Err(Error::Cancelled)), "{:?}", r.map(|b| b.scene.shapes.len()));
    assert!(seen.iter().any(|s| s.0 == Stage::Style) && seen.iter().any(|s| s.0 == Stage::Build));
    // Write-back.
    let built = build(&doc, &options).unwrap();
    let r = write_back_with(
        &doc,
        &built.scene,
        &built.map,
        &built.scene,
        WriteBack { force: true },
        &limits,
        &mut |stage, _| stage != Stage::WriteBack,
    );
    assert!(matches!(r, Err(Error::Cancelled)));
    // Reports are frequent: thousands of shapes give several calls per stage.
    let mut reports = 0;
    build_with(&doc, &options, &mut |_, _| {
        reports += 1;
        true
    })
    .unwrap();
    assert!(reports >= 5, "{reports}");
}

#[test]
fn gradient_stops_times_shapes_are_budgeted() {
    let stops: String =
        (0..20_000).map(|i| format!("<stop offset=\"{}\" stop-color=\"#{:06x}\"/>", i as f64 / 20_000.0, i)).collect();
    let shapes: String = (0..2_000).map(|_| "<rect width=\"1\" height=\"1\" fill=\"url(#g)\"/>").collect();
    let text = svg(&format!("<defs><linearGradient id=\"g\">{stops}</linearGradient></defs>{shapes}"));
    let r = hostile("gradient-stops", move || round_trip(text, Limits::default()));
    assert_eq!(limit_field(&r), Some("colors"), "{r:?}");
}

#[test]
fn many_nested_selected_elements_have_rois_quickly() {
    use clipvg_document::scene::rois_of;
    let depth = 1000;
    let mut body = String::new();
    for i in 0..depth {
        body.push_str(&format!("<g id=\"g{i}\">"));
    }
    let shapes: String = (0..20_000).map(|i| format!("<rect x=\"{}\" width=\"1\" height=\"1\"/>", i % 90)).collect();
    body.push_str(&shapes);
    for _ in 0..depth {
        body.push_str("</g>");
    }
    let text = svg(&body);
    let rois = hostile("rois-nested", move || {
        let doc = Document::parse(text).unwrap();
        let built = build(&doc, &BuildOptions::default()).unwrap();
        let mut sel: Vec<_> = (0..depth).map(|i| doc.by_id(&format!("g{i}")).unwrap()).collect();
        sel.extend(std::iter::repeat_n(sel[0], 20_000));
        rois_of(&doc, &built.scene, &built.map, &sel).map(|r| r.len())
    });
    assert_eq!(rois.unwrap(), 21_000);
}

#[test]
fn messages_stay_short_and_diagnostics_bounded() {
    let texts: String = (0..20_000).map(|_| "<text>x</text>").collect();
    let long_id = "\t\n".to_string() + &"i".repeat(1 << 20);
    let text = svg(&format!("{texts}<path id=\"{long_id}\" d=\"M0 0 L1 1\" transform=\"{}\"/>", "x".repeat(1 << 20)));
    let built =
        hostile("diagnostics", move || build(&Document::parse(text).unwrap(), &BuildOptions::default()).unwrap());
    assert!(built.diagnostics.len() <= 1001, "{}", built.diagnostics.len());
    assert!(built.diagnostics.last().unwrap().message.contains("more diagnostics"));
    let doc = Document::parse(svg(&format!("<path id=\"{}\"/>", "\t".repeat(100_000)))).unwrap();
    let d = doc.describe(doc.element(doc.root()).children[0]);
    assert!(d.len() < 600 && !d.contains('\t'), "{d}");
    let bad = Document::parse(format!("<svg xmlns=\"http://www.w3.org/2000/svg\">&{};</svg>", "n".repeat(1 << 20)));
    let m = bad.unwrap_err().to_string();
    assert!(m.len() < 1000, "{} bytes", m.len());
}

#[test]
fn namespace_declarations_stay_linear() {
    // 999 prefixes on the root, then elements that each declare one more: the XML parser
    // copies and checks the 1000 bindings in scope pairwise for every one of them.
    let decls: String = (0..999).map(|i| format!(" xmlns:p{i}=\"u{i}\"")).collect();
    let kids: String = (0..100_000).map(|_| "<g xmlns:q=\"v\"/>").collect();
    let text = format!("<svg xmlns=\"http://www.w3.org/2000/svg\"{decls}>{kids}</svg>");
    let r = hostile("namespace-copies", move || Document::parse(text).map(|d| d.len()));
    assert_eq!(limit_field(&r), Some("namespaces"), "{r:?}");
    // Through an entity.
    let text = format!(
        "<!DOCTYPE svg [<!ENTITY k \"{}\">]><svg xmlns=\"http://www.w3.org/2000/svg\"{decls}>{}</svg>",
        "<g xmlns:q='v'/>".repeat(100),
        "&k;".repeat(1000)
    );
    let r = hostile("namespace-copies-entity", move || Document::parse(text).map(|d| d.len()));
    assert_eq!(limit_field(&r), Some("namespaces"), "{r:?}");
    // No new declarations, but every name looked up among 1000 bindings.
    let kids: String = (0..100_000).map(|_| "<p998:g p1:a=\"1\" p2:b=\"2\"/>").collect();
    let text = format!("<svg xmlns=\"http://www.w3.org/2000/svg\"{decls}>{kids}</svg>");
    let r = hostile("namespace-lookups", move || Document::parse(text).map(|d| d.len()));
    assert_eq!(limit_field(&r), Some("namespaces"), "{r:?}");
    // Ordinary use: a few prefixes on the root, nested documents redeclaring the default.
    let nested: String = (0..2000).map(|_| "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>").collect();
    let text = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:inkscape=\"i\" xmlns:sodipodi=\"s\">{nested}</svg>"
    );
    hostile("namespace-ordinary", move || Document::parse(text).map(|d| d.len())).expect("ordinary namespaces");
}
