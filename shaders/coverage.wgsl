// Stage: coverage (forward). One invocation per layer row (item): accumulate the signed area of
// its lines into its cells, then prefix-sum them into A. CPU twin: raster::coverage::accumulate.
// Prepended at load time: geometry.wgsl.

@group(0) @binding(0) var<storage, read_write> info: array<u32>;
@group(0) @binding(1) var<storage, read_write> items: array<u32>;      // 5 per item
@group(0) @binding(2) var<storage, read_write> item_rows: array<u32>;
@group(0) @binding(3) var<storage, read_write> a_off: array<u32>;      // cell offset per item
@group(0) @binding(4) var<storage, read_write> line_ids: array<u32>;
@group(0) @binding(5) var<storage, read_write> lines: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> acc: array<f32>;         // A, (xr - xl + 1) per item

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= info[2]) {
        return;
    }
    let xl = i32(items[i * 5u + 1u]);
    let xr = i32(items[i * 5u + 2u]);
    let base = a_off[i];
    let n = u32(xr - xl) + 1u;
    for (var c = 0u; c < n; c++) {
        acc[base + c] = 0.0;
    }
    let row = i32(item_rows[i]);
    for (var j = items[i * 5u + 3u]; j < items[i * 5u + 4u]; j++) {
        let l = lines[line_ids[j]];
        let sp = row_span(l, row);
        if (!sp.valid) {
            continue;
        }
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
        // One more iteration than boundaries: the last piece ends at the span's end.
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
                let dyp = p.e.y - p.s.y;
                let area = dyp * (f32(p.cell) + 1.0 - 0.5 * (p.s.x + p.e.x));
                let c = base + u32(p.cell - xl);
                acc[c] += area;
                acc[c + 1u] += dyp - area;
            }
            tp = te;
            kp = ke;
            bp = be;
        }
    }
    var run = 0.0;
    for (var c = 0u; c < n; c++) {
        run += acc[base + c];
        acc[base + c] = run;
    }
}
