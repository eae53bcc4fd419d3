// Elementwise activation y = act(x) (relu, gelu, silu; see activation.wgsl), one element per
// invocation, folded into a 2-D grid (index = g.x + g.y * num_workgroups.x * WG).

struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }

override WG: u32 = 64u;
override ACT: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * WG;
  if (i >= p.n) { return; }
  y[i] = act_apply(x[i], ACT);
}
