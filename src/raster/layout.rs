//! The GPU buffer layouts shared by Rust and WGSL: each is a `#[repr(C)]` [`Pod`] struct here
//! and a WGSL `struct` of the same name and field names in `shaders/` (each side's doc comment
//! names the other). A test compares every struct's size and field offsets with what naga reports
//! for the WGSL side, so the two cannot drift apart.
//!
//! WGSL alignment rules apply to the Rust side: a `vec4<f32>` field sits at a multiple of 16
//! bytes, a `vec2<f32>` at a multiple of 8, and a struct's size is a multiple of its largest
//! alignment. (The item layout, [`LayerRow`], lives with the row binning that makes it.)

use bytemuck::{Pod, Zeroable};

pub use crate::resample::{ViewRecord, ViewSampleInfo};
pub use crate::rows::LayerRow;

/// What every per-item and per-pixel stage of one band of rows reads first.
/// WGSL twin: `struct BandInfo` in `shaders/geometry.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct BandInfo {
    /// Render width in pixels.
    pub width: u32,
    /// Render height in pixels.
    pub height: u32,
    /// Layer rows (items) in the band.
    pub n_items: u32,
    /// First pixel row of the band.
    pub y0: u32,
    /// The background, premultiplied RGBA (WGSL `vec4<f32>`: offset 16).
    pub background: [f32; 4],
    /// Render pixels → canvas units, per axis (WGSL `vec2<f32>`: offset 32).
    pub inv_scale: [f32; 2],
    /// Pixels in the band (`rows × width`).
    pub n_pixels: u32,
    /// The band's first entry of the row index's `line_ids` (its line slots start there).
    pub first_line_entry: u32,
}

/// Fill rule and paint of one layer. WGSL twin: `struct LayerRecord` in `shaders/paint.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct LayerRecord {
    /// 0 nonzero, 1 even-odd.
    pub rule: u32,
    /// 0 none, 1 solid colour, 2 gradient.
    pub paint_kind: u32,
    /// The colour index (solid) or the gradient index (gradient).
    pub paint_index: u32,
}

/// One gradient. WGSL twin: `struct GradientRecord` in `shaders/paint.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct GradientRecord {
    /// 0 linear, 1 radial.
    pub kind: u32,
    /// 0 pad, 1 reflect, 2 repeat.
    pub spread: u32,
    /// Index of the first stop colour in the colour buffer.
    pub first_color: u32,
    /// Number of stops.
    pub n_stops: u32,
    /// Index of the first stop offset in the stop buffer.
    pub stops_start: u32,
    /// Linear `x1, y1, x2, y2, 0, 0`; radial `cx, cy, r, fx, fy, fr` (gradient space).
    pub shape: [f32; 6],
    /// Affine `[a, b, c, d, e, f]` from canvas to gradient space.
    pub canvas_to_gradient: [f32; 6],
}

/// How many lines the `line_reduce` stage sums in one band.
/// WGSL twin: `struct LineReduceInfo` in `shaders/line_reduce.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct LineReduceInfo {
    /// Lines that have slots in the band (rows of the CSR).
    pub n_lines: u32,
}

/// One mirrored struct: its name, its size and its fields' names and offsets, as Rust lays it
/// out (compared with naga's layout of the WGSL twin by the tests).
#[derive(Clone, Copy, Debug)]
pub struct Mirrored {
    /// The name on both sides.
    pub name: &'static str,
    /// `size_of` of the Rust struct.
    pub size: usize,
    /// `(field name, offset_of)` in declaration order.
    pub fields: &'static [(&'static str, usize)],
}

macro_rules! mirrored {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        Mirrored {
            name: stringify!($ty),
            size: std::mem::size_of::<$ty>(),
            fields: &[$((stringify!($field), std::mem::offset_of!($ty, $field))),*],
        }
    };
}

/// Every struct mirrored in WGSL.
pub const MIRRORED: &[Mirrored] = &[
    mirrored!(BandInfo { width, height, n_items, y0, background, inv_scale, n_pixels, first_line_entry }),
    mirrored!(LayerRow { layer, xl, xr, lines_start, lines_end }),
    mirrored!(LayerRecord { rule, paint_kind, paint_index }),
    mirrored!(GradientRecord { kind, spread, first_color, n_stops, stops_start, shape, canvas_to_gradient }),
    mirrored!(LineReduceInfo { n_lines }),
    mirrored!(ViewRecord { row0, row1, row2, clip, offset, patch_side, pad }),
    mirrored!(ViewSampleInfo { width, height, size, ss, n_views, pad0, pad1, pad2 }),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The WGSL struct `name` as naga lays it out: size and `(member, offset)`.
    fn wgsl_layout(name: &str) -> Option<(u32, Vec<(String, u32)>)> {
        for stage in crate::gpu::stage_names() {
            let src = crate::gpu::stage_source(stage).expect("known stage");
            let module = naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| panic!("{stage}: {e}"));
            for (_, ty) in module.types.iter() {
                if ty.name.as_deref() != Some(name) {
                    continue;
                }
                if let naga::TypeInner::Struct { members, span } = &ty.inner {
                    let fields = members.iter().map(|m| (m.name.clone().unwrap_or_default(), m.offset)).collect();
                    return Some((*span, fields));
                }
            }
        }
        None
    }

    #[test]
    fn every_rust_layout_matches_its_wgsl_struct() {
        for m in MIRRORED {
            let (span, fields) = wgsl_layout(m.name).unwrap_or_else(|| panic!("no WGSL struct {}", m.name));
            assert_eq!(span as usize, m.size, "{}: WGSL size {span}, Rust size {}", m.name, m.size);
            let rust: Vec<(String, u32)> = m.fields.iter().map(|(f, o)| (f.to_string(), *o as u32)).collect();
            assert_eq!(fields, rust, "{}: WGSL members vs Rust fields (name, offset)", m.name);
        }
    }

    #[test]
    fn a_drifted_layout_is_caught() {
        // The comparison itself can fail: a WGSL vec4 after three u32 lands at 16, not 12.
        let src = "struct Probe { a: u32, b: u32, c: u32, v: vec4<f32> }\n\
                   @group(0) @binding(0) var<storage, read_write> probe: Probe;\n\
                   @compute @workgroup_size(1) fn main() { probe.a = 0u; }";
        let module = naga::front::wgsl::parse_str(src).unwrap();
        let offsets: Vec<u32> = module
            .types
            .iter()
            .find_map(|(_, t)| match &t.inner {
                naga::TypeInner::Struct { members, .. } => Some(members.iter().map(|m| m.offset).collect()),
                _ => None,
            })
            .unwrap();
        assert_eq!(offsets, [0, 4, 8, 16]);
    }
}
