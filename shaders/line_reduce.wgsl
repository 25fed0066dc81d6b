// Stage 8, line reduce (backward). One invocation per line that has slots in this band: add
// its (item, line) slots, in slot order, to its gradient. No two invocations write one line,
// and no float atomics: the sums are the same bits on every run.
// CPU twin: raster::cpu::line_reduce. Prepended at load time: geometry.wgsl (for flat_index).

// Rust twin: raster::layout::LineReduceInfo.
struct LineReduceInfo {
    n_lines: u32,   // lines with slots in the band (CSR rows)
}

@group(0) @binding(0) var<storage, read_write> info: LineReduceInfo;
@group(0) @binding(1) var<storage, read_write> slot_start: array<u32>;   // CSR over those lines
@group(0) @binding(2) var<storage, read_write> slot_list: array<u32>;
@group(0) @binding(3) var<storage, read_write> line_slots: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> line_grads: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> slot_lines: array<u32>;   // line id of each CSR row

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= info.n_lines) {
        return;
    }
    var s = vec4<f32>(0.0);
    for (var k = slot_start[i]; k < slot_start[i + 1u]; k++) {
        s += line_slots[slot_list[k]];
    }
    line_grads[slot_lines[i]] += s;
}
