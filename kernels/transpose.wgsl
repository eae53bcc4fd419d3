// y = x.transpose(perm), up to rank 6, any 4-byte dtype (values are moved as raw u32 bits).
// One output element per invocation, folded into a 2-D grid. The op collapses axes that stay
// adjacent under the permutation, so `shape` is the output shape after collapsing and
// `istr[k]` the input stride of output axis k.

struct Params {
  n: u32, rank: u32, pad0: u32, pad1: u32,
  shape: array<vec4u, 2>,
  istr: array<vec4u, 2>,
}

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * WG;
  if (i >= p.n) { return; }
  var src = 0u;
  var rem = i;
  for (var d = p.rank; d > 0u; d--) {
    let k = d - 1u;
    let s = p.shape[k / 4u][k % 4u];
    src += (rem % s) * p.istr[k / 4u][k % 4u];
    rem = rem / s;
  }
  y[i] = x[src];
}
