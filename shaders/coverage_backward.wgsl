// Stage: coverage (backward). One invocation per layer row: suffix sums S of dL/dA over its
// cells, then every line piece gets dL/d area = G[cell] and dL/d dy = S[cell + 1], chained
// through the clipping to the line's endpoints; one vec4 per (item, line) slot.
// CPU twin: raster::coverage::accumulate_backward. Prepended: geometry.wgsl.

@group(0) @binding(0) var<storage, read_write> info: array<u32>;
@group(0) @binding(1) var<storage, read_write> items: array<u32>;
@group(0) @binding(2) var<storage, read_write> item_rows: array<u32>;
@group(0) @binding(3) var<storage, read_write> a_off: array<u32>;
@group(0) @binding(4) var<storage, read_write> line_ids: array<u32>;
@group(0) @binding(5) var<storage, read_write> lines: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> g: array<f32>;
@group(0) @binding(7) var<storage, read_write> suffix: array<f32>;
@group(0) @binding(8) var<storage, read_write> line_slots: array<vec4<f32>>;  // per line_ids entry
@group(0) @binding(9) var<storage, read_write> slot_base: array<u32>;         // [0] = first line_ids entry of the chunk

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= info[2]) {
        return;
    }
    let xl = i32(items[i * 5u + 1u]);
    let xr = i32(items[i * 5u + 2u]);
    let base = a_off[i];
    let n = u32(xr - xl);
    suffix[base + n] = 0.0;
    for (var c = n; c > 0u; c--) {
        suffix[base + c - 1u] = suffix[base + c] + g[base + c - 1u];
    }
    let row = i32(item_rows[i]);
    for (var j = items[i * 5u + 3u]; j < items[i * 5u + 4u]; j++) {
        let l = lines[line_ids[j]];
        var grad = vec4<f32>(0.0);
        let sp = row_span(l, row);
        if (sp.valid) {
            let dx = l.z - l.x;
            let xa = end_pos(l, sp.t_lo, sp.lo_kind, sp.lo_b).x;
            let xb = end_pos(l, sp.t_hi, sp.hi_kind, sp.hi_b).x;
            var tp = sp.t_lo;
            var kp = sp.lo_kind;
            var bp = sp.lo_b;
            var kmin = max(i32(ceil(min(xa, xb))), xl);
            var kmax = min(i32(floor(max(xa, xb))), xr);
            if (dx == 0.0) {
                kmin = 1;
                kmax = 0;
            }
            let nb = max(kmax - kmin + 1, 0);
            for (var m = 0; m <= nb; m++) {
                var te = sp.t_hi;
                var ke = sp.hi_kind;
                var be = sp.hi_b;
                if (m < nb) {
                    let k = select(kmax - m, kmin + m, dx > 0.0);
                    te = clamp((f32(k) - l.x) / dx, sp.t_lo, sp.t_hi);
                    ke = END_COL;
                    be = f32(k);
                }
                let p = make_piece(l, tp, kp, bp, te, ke, be, xl, xr);
                if (p.valid) {
                    let c = base + u32(p.cell - xl);
                    let gc = g[c];
                    let snext = suffix[c + 1u];
                    let dyp = p.e.y - p.s.y;
                    let wgt = f32(p.cell) + 1.0 - 0.5 * (p.s.x + p.e.x);
                    let g_ys = -wgt * gc - snext;
                    let g_ye = wgt * gc + snext;
                    let g_x = -0.5 * dyp * gc;
                    let js = end_jac(l, kp, bp, p.projected);
                    let je = end_jac(l, ke, be, p.projected);
                    grad += g_x * (js.jx + je.jx) + g_ys * js.jy + g_ye * je.jy;
                }
                tp = te;
                kp = ke;
                bp = be;
            }
        }
        line_slots[j - slot_base[0]] = grad;
    }
}
