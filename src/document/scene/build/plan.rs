//! The `<use>` plan, made before anything is built: which `<use>` elements instantiate
//! themselves (a reference cycle, which SVG makes an error: they draw nothing), and how many
//! element instances and shapes the walk will make, counted bottom up over the remaining acyclic
//! graph so that a `<use>` bomb is refused before it is expanded. No recursion: Tarjan's
//! algorithm runs over an explicit stack.

use super::walk::{NON_RENDERING, UNSUPPORTED, is_rendered};
use crate::error::Result;
use crate::progress::Ticker;
use crate::svg::{Document, ElementId};

/// How the walk treats an element, for [`UsePlan`].
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Draws nothing and has no content the walk enters (or is a shape: `shape`).
    Leaf { shape: bool },
    /// Its rendered children are walked (`g`, `a`, `svg`, unknown elements; `symbol` when used).
    Container,
    /// Only its first SVG child is walked.
    Switch(Option<ElementId>),
    /// Instantiates its target.
    Use(Option<ElementId>),
}

/// What `<use>` expansion will make, computed before anything is built (see the module docs).
pub(super) struct UsePlan {
    /// Per element: a `<use>` that is part of a reference cycle (drawn as nothing).
    pub(super) cyclic: Vec<bool>,
    pub(super) total_instances: u64,
    pub(super) total_shapes: u64,
}

/// The graph the walk follows: an edge from each element to what the walk visits under it
/// (rendered children, the first SVG child of a `switch`, the target of a `use`).
struct Graph<'a> {
    doc: &'a Document,
    kinds: Vec<Kind>,
}

impl<'a> Graph<'a> {
    fn new(doc: &'a Document) -> Self {
        let kinds = doc
            .element_ids()
            .map(|id| {
                let e = doc.element(id);
                if !e.is_svg() {
                    return Kind::Leaf { shape: false };
                }
                match e.name.as_str() {
                    "path" | "rect" | "circle" | "ellipse" | "line" | "polyline" | "polygon" => {
                        Kind::Leaf { shape: true }
                    }
                    "use" => Kind::Use(e.href().and_then(|h| doc.resolve_iri(h))),
                    "switch" => Kind::Switch(e.children.iter().copied().find(|&c| doc.element(c).is_svg())),
                    "symbol" => Kind::Container,
                    name if NON_RENDERING.contains(&name) || UNSUPPORTED.iter().any(|(u, _)| *u == name) => {
                        Kind::Leaf { shape: false }
                    }
                    _ => Kind::Container,
                }
            })
            .collect();
        Graph { doc, kinds }
    }

    /// The `pos`-th successor of `v`, advancing `pos` past it.
    fn next(&self, v: ElementId, pos: &mut usize) -> Option<ElementId> {
        match self.kinds[v.index()] {
            Kind::Leaf { .. } => None,
            Kind::Container => {
                let children = &self.doc.element(v).children;
                while let Some(&c) = children.get(*pos) {
                    *pos += 1;
                    if is_rendered(self.doc, c) {
                        return Some(c);
                    }
                }
                None
            }
            Kind::Switch(first) | Kind::Use(first) => {
                let r = if *pos == 0 { first } else { None };
                *pos = 1;
                r
            }
        }
    }
}

/// The strongly connected components of the graph, by Tarjan's algorithm with an explicit
/// stack: per element its component, and every element in an order where successors come
/// before their predecessors (across components by Tarjan's order, inside one by a sort: child
/// edges go to larger indices).
struct Components {
    comp: Vec<u32>,
    order: Vec<ElementId>,
}

/// Tarjan's bookkeeping.
struct Tarjan {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    comp: Vec<u32>,
    scc_stack: Vec<ElementId>,
    order: Vec<ElementId>,
    counter: u32,
    comps: u32,
}

/// Not yet discovered.
const NONE: u32 = u32::MAX;

impl Tarjan {
    fn new(n: usize) -> Self {
        Tarjan {
            index: vec![NONE; n],
            low: vec![0u32; n],
            on_stack: vec![false; n],
            comp: vec![NONE; n],
            scc_stack: Vec::new(),
            order: Vec::with_capacity(n),
            counter: 0,
            comps: 0,
        }
    }

    fn discover(&mut self, w: ElementId) {
        self.index[w.index()] = self.counter;
        self.low[w.index()] = self.counter;
        self.counter += 1;
        self.scc_stack.push(w);
        self.on_stack[w.index()] = true;
    }

    /// All successors of `v` are done: if it roots a component, pops that component.
    fn finish(&mut self, v: ElementId) {
        if self.low[v.index()] != self.index[v.index()] {
            return;
        }
        let from = self.order.len();
        while let Some(w) = self.scc_stack.pop() {
            self.on_stack[w.index()] = false;
            self.comp[w.index()] = self.comps;
            self.order.push(w);
            if w == v {
                break;
            }
        }
        // Inside a component, child edges go to larger indices.
        self.order[from..].sort_unstable_by(|a, b| b.cmp(a));
        self.comps += 1;
    }
}

impl Components {
    fn of(graph: &Graph<'_>, ticker: &mut Ticker<'_, '_>) -> Result<Components> {
        let doc = graph.doc;
        let mut t = Tarjan::new(doc.len());
        for r in doc.element_ids() {
            if t.index[r.index()] != NONE {
                continue;
            }
            let mut calls: Vec<(ElementId, usize)> = vec![(r, 0)];
            t.discover(r);
            while let Some(&(v, pos)) = calls.last() {
                let mut p = pos;
                let succ = graph.next(v, &mut p);
                if let Some(top) = calls.last_mut() {
                    top.1 = p;
                }
                match succ {
                    Some(w) if t.index[w.index()] == NONE => {
                        t.discover(w);
                        calls.push((w, 0));
                    }
                    Some(w) => {
                        if t.on_stack[w.index()] {
                            t.low[v.index()] = t.low[v.index()].min(t.index[w.index()]);
                        }
                    }
                    None => {
                        calls.pop();
                        t.finish(v);
                        if let Some(&(u, _)) = calls.last() {
                            t.low[u.index()] = t.low[u.index()].min(t.low[v.index()]);
                        }
                    }
                }
                ticker.tick(1, || 0.0)?;
            }
        }
        Ok(Components { comp: t.comp, order: t.order })
    }
}

impl UsePlan {
    pub(super) fn new(doc: &Document, ticker: &mut Ticker<'_, '_>) -> Result<UsePlan> {
        let graph = Graph::new(doc);
        let Components { comp, order } = Components::of(&graph, ticker)?;
        let kinds = &graph.kinds;
        let cyclic: Vec<bool> = doc
            .element_ids()
            .map(|e| matches!(kinds[e.index()], Kind::Use(Some(t)) if comp[t.index()] == comp[e.index()]))
            .collect();
        // Successors finish before their predecessors in `order` (across components by
        // Tarjan's order, inside one by the sort); cyclic uses contribute nothing.
        let n = doc.len();
        let mut instances = vec![0u64; n];
        let mut shapes = vec![0u64; n];
        for &v in &order {
            let (mut i, mut s) = (1u64, u64::from(kinds[v.index()] == Kind::Leaf { shape: true }));
            if !cyclic[v.index()] {
                let mut pos = 0;
                while let Some(w) = graph.next(v, &mut pos) {
                    i = i.saturating_add(instances[w.index()]);
                    s = s.saturating_add(shapes[w.index()]);
                }
            }
            instances[v.index()] = i;
            shapes[v.index()] = s;
        }
        let root = doc.root();
        Ok(UsePlan { cyclic, total_instances: instances[root.index()], total_shapes: shapes[root.index()] })
    }
}
