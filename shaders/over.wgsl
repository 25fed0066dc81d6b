// The forward replay shared by stage 4 (composite) and stage 5 (composite_backward), prepended
// at load time after geometry.wgsl and paint.wgsl: one layer row composited source-over onto a
// pixel. Both stages composite exactly alike through `composite_item`.
// CPU twin: raster::cpu::composite_cell.
// Needs the bindings `info`, `items`, `a_off`, `acc`, `layers` and `colors`.

fn blend_color(b: Blend) -> vec4<f32> {
    return (1.0 - b.w1) * colors[b.i0] + b.w1 * colors[b.i1];
}

// Whether pixel column x is one of item `it`'s visible cells.
fn item_covers(it: u32, x: i32) -> bool {
    return x >= i32(items[it].xl) && x < i32(items[it].xr);
}

// Item `it`'s cell of pixel column x (check item_covers first).
fn item_cell(it: u32, x: i32) -> u32 {
    return a_off[it] + u32(x - i32(items[it].xl));
}

// One step of the forward recurrence at pixel (x, y): q (premultiplied) with item `it`'s layer
// composited over it.
fn composite_item(it: u32, x: i32, y: u32, q: vec4<f32>) -> vec4<f32> {
    let layer = items[it].layer;
    let cov = coverage(acc[item_cell(it, x)], layers[layer].rule);
    if (cov <= 0.0) {
        return q;
    }
    let b = blend_at(layer, f32(x) + 0.5, f32(y) + 0.5, info.inv_scale);
    if (!b.valid) {
        return q;
    }
    let c = blend_color(b);
    let alpha = c.w * cov;
    return vec4<f32>(c.xyz * alpha + q.xyz * (1.0 - alpha), alpha + q.w * (1.0 - alpha));
}
