// Stage 3, coverage (forward; the backward pass re-runs it first). One invocation per layer row
// (item): accumulate the signed area of its lines' pieces into its cells, then prefix-sum them
// into A. CPU twin: raster::cpu::coverage. Prepended at load time: geometry.wgsl.

@group(0) @binding(0) var<storage, read_write> info: BandInfo;
@group(0) @binding(1) var<storage, read_write> items: array<LayerRow>;
@group(0) @binding(2) var<storage, read_write> item_rows: array<u32>;
@group(0) @binding(3) var<storage, read_write> a_off: array<u32>;      // cell offset per item
@group(0) @binding(4) var<storage, read_write> line_ids: array<u32>;
@group(0) @binding(5) var<storage, read_write> lines: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> acc: array<f32>;         // A, (xr - xl + 1) per item

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
    let n = u32(xr - xl) + 1u;
    for (var c = 0u; c < n; c++) {
        acc[base + c] = 0.0;
    }
    let row = i32(item_rows[i]);
    for (var j = item.lines_start; j < item.lines_end; j++) {
        var w = piece_walk(lines[line_ids[j]], row, xl, xr);
        while (!walk_done(w)) {
            let p = walk_next(&w);
            if (p.valid) {
                let dyp = p.e.y - p.s.y;
                let area = dyp * (f32(p.cell) + 1.0 - 0.5 * (p.s.x + p.e.x));
                let c = base + u32(p.cell - xl);
                acc[c] += area;
                acc[c + 1u] += dyp - area;
            }
        }
    }
    var run = 0.0;
    for (var c = 0u; c < n; c++) {
        run += acc[base + c];
        acc[base + c] = run;
    }
}
