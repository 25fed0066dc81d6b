// Stage 7, coverage backward. One invocation per layer row: suffix sums S of dL/dA over its
// cells, then every line piece gets dL/d area = G[cell] and dL/d dy = S[cell + 1], chained
// through the clipping to the line's endpoints; one vec4 per (item, line) slot.
// CPU twin: raster::cpu::coverage_backward. Prepended at load time: geometry.wgsl.

@group(0) @binding(0) var<storage, read_write> info: BandInfo;
@group(0) @binding(1) var<storage, read_write> items: array<LayerRow>;
@group(0) @binding(2) var<storage, read_write> item_rows: array<u32>;
@group(0) @binding(3) var<storage, read_write> a_off: array<u32>;
@group(0) @binding(4) var<storage, read_write> line_ids: array<u32>;
@group(0) @binding(5) var<storage, read_write> lines: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> g: array<f32>;
@group(0) @binding(7) var<storage, read_write> suffix: array<f32>;
@group(0) @binding(8) var<storage, read_write> line_slots: array<vec4<f32>>;  // per line_ids entry from info.first_line_entry

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= info.n_items) {
        return;
    }
    let item = items[i];
    let xl = i32(item.xl);
    let xr = i32(item.xr);
    let base = a_off[i];
    let n = u32(xr - xl);
    suffix[base + n] = 0.0;
    for (var c = n; c > 0u; c--) {
        suffix[base + c - 1u] = suffix[base + c] + g[base + c - 1u];
    }
    let row = i32(item_rows[i]);
    for (var j = item.lines_start; j < item.lines_end; j++) {
        let l = lines[line_ids[j]];
        var grad = vec4<f32>(0.0);
        var w = piece_walk(l, row, xl, xr);
        while (!walk_done(w)) {
            let p = walk_next(&w);
            if (p.valid) {
                let c = base + u32(p.cell - xl);
                let gc = g[c];
                let snext = suffix[c + 1u];
                let dyp = p.e.y - p.s.y;
                let wgt = f32(p.cell) + 1.0 - 0.5 * (p.s.x + p.e.x);
                let g_ys = -wgt * gc - snext;
                let g_ye = wgt * gc + snext;
                let g_x = -0.5 * dyp * gc;
                let js = end_jac(l, p.s_kind, p.s_b, p.projected);
                let je = end_jac(l, p.e_kind, p.e_b, p.projected);
                grad += g_x * (js.jx + je.jx) + g_ys * js.jy + g_ye * je.jy;
            }
        }
        line_slots[j - info.first_line_entry] = grad;
    }
}
