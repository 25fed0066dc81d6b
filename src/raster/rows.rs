//! Stage 2, *binning by rows* (CPU, for both backends): for every pixel row, the layers that
//! touch it in painter's order, each with its x-range and the lines crossing the row.
//!
//! Cost then follows covered area: a layer costs its rows × its width in each row, and nothing
//! elsewhere. The layout is flat (CSR) so it uploads to the GPU as it is.

use std::ops::Range;

use super::coverage::row_span;
use super::prepare::Prepared;

/// One layer's part of one pixel row (an *item*: the GPU's per-item stages run one invocation
/// each). Uploaded as it is: WGSL twin `struct LayerRow` in `shaders/geometry.wgsl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct LayerRow {
    /// Index into the prepared layers.
    pub layer: u32,
    /// First cell (pixel column) of the row's accumulation.
    pub xl: u32,
    /// End of the visible cells (exclusive); `A` is zero from here on.
    pub xr: u32,
    /// Range into [`Rows::line_ids`]: first entry…
    pub lines_start: u32,
    /// …and one past the last.
    pub lines_end: u32,
}

impl LayerRow {
    /// The item's entries of [`Rows::line_ids`].
    pub fn lines(&self) -> Range<usize> {
        self.lines_start as usize..self.lines_end as usize
    }
}

/// Row-major index of layer rows.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    /// `items[starts[y] .. starts[y + 1]]` are row `y`'s layer rows, in painter's order.
    pub starts: Vec<u32>,
    pub items: Vec<LayerRow>,
    /// The row index of every item (for GPU kernels that run per item).
    pub item_rows: Vec<u32>,
    pub line_ids: Vec<u32>,
}

/// x-extent of a line inside row `row`, or `None` if it does not cross it.
fn row_extent(l: [[f32; 2]; 2], row: i32) -> Option<(f32, f32)> {
    let (lo, _, hi, _) = row_span(l, row)?;
    let [[x0, _], [x1, _]] = l;
    let (xa, xb) = (x0 + lo * (x1 - x0), x0 + hi * (x1 - x0));
    Some((xa.min(xb), xa.max(xb)))
}

/// The rows `r0..r1` a line is binned into (empty for horizontal or non-finite lines).
fn line_rows(l: [[f32; 2]; 2], h: i64) -> std::ops::Range<i64> {
    let [a, b] = l;
    if !(a[1].is_finite() && b[1].is_finite() && a[0].is_finite() && b[0].is_finite()) || a[1] == b[1] {
        return 0..0;
    }
    let r0 = (a[1].min(b[1]).floor() as i64).max(0);
    // Rows floor(ymin) ..= floor(ymax): an end on a row boundary belongs to the row below.
    let r1 = (a[1].max(b[1]).floor() as i64 + 1).min(h);
    r0..r1.max(r0)
}

/// Number of (row, line) entries [`bin`] makes for `p` — the size of [`Rows::line_ids`] at
/// most — counted without allocating. O(lines).
pub fn count_entries(p: &Prepared) -> u64 {
    let h = p.height as i64;
    p.layers
        .iter()
        .flat_map(|l| l.lines.clone())
        .map(|id| {
            let r = line_rows(p.line(id as usize), h);
            (r.end - r.start) as u64
        })
        .sum()
}

/// Bins the lines of every layer into pixel rows. O(entries · log) time, O(entries) memory,
/// entries from [`count_entries`] (callers check it against the memory budget first).
pub fn bin(p: &Prepared) -> Rows {
    let (w, h) = (p.width as i64, p.height as i64);
    let mut items: Vec<LayerRow> = Vec::new();
    let mut item_rows: Vec<u32> = Vec::new();
    let mut line_ids: Vec<u32> = Vec::new();
    // Scratch per layer: (row, line) pairs and per-row x extents.
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for (li, layer) in p.layers.iter().enumerate() {
        pairs.clear();
        for id in layer.lines.clone() {
            for r in line_rows(p.line(id as usize), h) {
                pairs.push((r as u32, id));
            }
        }
        if pairs.is_empty() {
            continue;
        }
        pairs.sort_unstable();
        let mut i = 0;
        while i < pairs.len() {
            let row = pairs[i].0;
            let start = line_ids.len() as u32;
            let (mut xmin, mut xmax) = (f32::INFINITY, f32::NEG_INFINITY);
            while i < pairs.len() && pairs[i].0 == row {
                let id = pairs[i].1;
                if let Some((a, b)) = row_extent(p.line(id as usize), row as i32) {
                    xmin = xmin.min(a);
                    xmax = xmax.max(b);
                    line_ids.push(id);
                }
                i += 1;
            }
            let end = line_ids.len() as u32;
            if end == start {
                continue;
            }
            let xl = (xmin.max(0.0).floor() as i64).clamp(0, w);
            let xr = ((xmax.max(0.0).floor() as i64) + 1).clamp(0, w);
            if xr <= xl {
                line_ids.truncate(start as usize);
                continue;
            }
            items.push(LayerRow { layer: li as u32, xl: xl as u32, xr: xr as u32, lines_start: start, lines_end: end });
            item_rows.push(row);
        }
    }
    // Row-major order, stable in layer (painter's) order: a counting sort by row.
    let mut counts = vec![0u32; p.height as usize + 1];
    for &r in &item_rows {
        counts[r as usize + 1] += 1;
    }
    for y in 0..p.height as usize {
        counts[y + 1] += counts[y];
    }
    let starts = counts.clone();
    let mut next = counts;
    let mut sorted = vec![LayerRow { layer: 0, xl: 0, xr: 0, lines_start: 0, lines_end: 0 }; items.len()];
    let mut sorted_rows = vec![0u32; items.len()];
    for (it, &r) in items.iter().zip(&item_rows) {
        let slot = next[r as usize] as usize;
        sorted[slot] = *it;
        sorted_rows[slot] = r;
        next[r as usize] += 1;
    }
    // Lines in row-major item order too, so a band of rows owns one contiguous range of them.
    let mut ordered = Vec::with_capacity(line_ids.len());
    for it in &mut sorted {
        let start = ordered.len() as u32;
        ordered.extend_from_slice(&line_ids[it.lines()]);
        it.lines_start = start;
        it.lines_end = ordered.len() as u32;
    }
    Rows { starts, items: sorted, item_rows: sorted_rows, line_ids: ordered }
}
