//! Budgets for everything a document can make clipvg expand or allocate.
//!
//! Every stage checks the part of [`Limits`] that concerns it *before* doing the work or
//! allocating the buffer, and answers [`crate::Error::Limit`] naming the budget and how to
//! raise it. The defaults accept every real document we know of (Inkscape drawings, the
//! 3,720 Twemoji files, vectorized photos with tens of thousands of paths) and keep a
//! hostile one within seconds and a few GB. A request may raise any of them.

use serde::{Deserialize, Serialize};

/// Resource budgets. Field names are the names a request (`"limits": {...}`) and the
/// command line (`--limit NAME=VALUE`) use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Bytes of SVG text. Default 256 MiB: the largest real drawings we know are tens of MB.
    pub document_bytes: u64,
    /// XML nodes (elements, text, comments) after entity expansion; the scene builder also
    /// holds the element instances it will draw after `<use>` expansion to it (counted before
    /// building). Default 4 million: real drawings have well under a million; measured, a
    /// million `<rect>` elements (39 MB) take 3.6 s and 1.2 GB at the peak through parse and
    /// scene build, so the default bounds a hostile document to a few GB.
    pub nodes: u64,
    /// Element nesting depth. Default 1024: editors write a few dozen levels. Nothing recurses
    /// on depth (any depth works on a 256 KB stack when raised); the limit bounds the work of
    /// per-ancestor steps such as CSS descendant selectors.
    pub depth: u64,
    /// Attributes on one element. Default 1000 (real elements have a few dozen): the XML parser
    /// checks duplicates pairwise, quadratic in one element's attributes, so this keeps its
    /// work linear in the document size. Checked by a pre-scan before the parser runs.
    pub attributes: u64,
    /// Namespace work of the XML parser: for each element that declares a namespace, the
    /// bindings then in scope, squared (roxmltree copies and checks them pairwise), and where
    /// more than 32 bindings are in scope, that many per element or prefixed attribute name
    /// (each is looked up one by one). Counted by the pre-scan before parsing. Default 50
    /// million (a few tenths of a second); an Inkscape drawing needs a few hundred.
    pub namespaces: u64,
    /// Bytes of text produced by expanding internal DTD entities, computed from the
    /// declarations before anything is expanded. Default 16 MiB: real files use entities for
    /// namespace URIs and short strings (Illustrator's `&ns_svg;`).
    pub entity_bytes: u64,
    /// CSS work: `<style>` rules × elements they are matched against (checked before
    /// matching), plus every ancestor or sibling a selector visits. Default 50 million: about a
    /// second of matching.
    pub css_matches: u64,
    /// Shapes in the scene after `<use>` expansion (breadth × depth of `<use>` chains, counted
    /// before building). Default 1 million: vectorized photos have tens of thousands.
    pub shapes: u64,
    /// Cubic segments in the scene (paths, arcs and basic shapes after conversion), counted
    /// before they are stored. Default 10 million (about 400 MB of points and gradients).
    pub segments: u64,
    /// Colours in the scene: solid paints and gradient stops, once per shape that uses them
    /// (a gradient of many stops on many shapes multiplies). Default 4 million: each costs about
    /// 100 bytes with its write-back record, so about 400 MB; real scenes have one or two per
    /// shape.
    pub colors: u64,
    /// Line pieces after flattening curves and outlining strokes, for the rasterizer.
    pub flattened_lines: u64,
    /// Pixels of one render.
    pub render_pixels: u64,
    /// Estimated memory of the large buffers (render, gradients, model activations), in bytes.
    pub memory_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            document_bytes: 256 << 20,
            nodes: 4_000_000,
            depth: 1024,
            attributes: 1000,
            namespaces: 50_000_000,
            entity_bytes: 16 << 20,
            css_matches: 50_000_000,
            shapes: 1_000_000,
            segments: 10_000_000,
            colors: 4_000_000,
            flattened_lines: 50_000_000,
            render_pixels: 16384 * 16384,
            memory_bytes: 8 << 30,
        }
    }
}

/// One exceeded budget: what was needed, the limit, and the field that raises it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitExceeded {
    /// The field of [`Limits`] (also the request/CLI name).
    pub field: &'static str,
    /// What was counted, in words ("nested elements", "bytes of memory", ...).
    pub what: &'static str,
    /// How much the input needs (at least; counting may stop at the limit).
    pub needed: u64,
    /// The limit in force.
    pub limit: u64,
}

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "this document needs {} {}; the limit is {} (raise it with \"limits\": {{\"{}\": N}} in the request, or --limit {}=N)",
            self.needed, self.what, self.limit, self.field, self.field
        )
    }
}

impl Limits {
    /// `Ok` when `needed ≤` the limit, else the [`LimitExceeded`] that says so.
    pub fn check(field: &'static str, what: &'static str, needed: u64, limit: u64) -> Result<(), LimitExceeded> {
        if needed <= limit { Ok(()) } else { Err(LimitExceeded { field, what, needed, limit }) }
    }

    /// Sets one limit by its field name (for `--limit NAME=VALUE`).
    pub fn set(&mut self, field: &str, value: u64) -> Result<(), String> {
        let slot = match field {
            "document_bytes" => &mut self.document_bytes,
            "nodes" => &mut self.nodes,
            "depth" => &mut self.depth,
            "attributes" => &mut self.attributes,
            "namespaces" => &mut self.namespaces,
            "entity_bytes" => &mut self.entity_bytes,
            "css_matches" => &mut self.css_matches,
            "shapes" => &mut self.shapes,
            "segments" => &mut self.segments,
            "colors" => &mut self.colors,
            "flattened_lines" => &mut self.flattened_lines,
            "render_pixels" => &mut self.render_pixels,
            "memory_bytes" => &mut self.memory_bytes,
            _ => {
                return Err(format!(
                    "unknown limit \"{}\" (known: document_bytes, nodes, depth, attributes, namespaces, entity_bytes, css_matches, shapes, segments, colors, flattened_lines, render_pixels, memory_bytes)",
                    field.escape_debug().to_string().chars().take(64).collect::<String>()
                ));
            }
        };
        *slot = value;
        Ok(())
    }
}
