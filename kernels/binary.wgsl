// Elementwise a (op) b with NumPy broadcasting, up to rank 6, one output element per invocation
// (folded into a 2-D grid). OP 0 adds, 1 multiplies.
//
// The op collapses the shapes first (drops size-1 axes, merges axes that stay contiguous in both
// operands), so most calls reach here with rank 1-3. SAME = true means both operands have the
// output's shape and the index math is skipped. Otherwise the output index is decomposed into
// coordinates and dotted with each operand's strides, where a broadcast axis has stride 0.

struct Params {
  n: u32, rank: u32, pad0: u32, pad1: u32,
  shape: array<vec4u, 2>,
  sa: array<vec4u, 2>,
  sb: array<vec4u, 2>,
}

override WG: u32 = 64u;
override OP: u32 = 0u;
override SAME: bool = false;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * WG;
  if (i >= p.n) { return; }
  var ia = i;
  var ib = i;
  if (!SAME) {
    ia = 0u;
    ib = 0u;
    var rem = i;
    for (var d = p.rank; d > 0u; d--) {
      let k = d - 1u;
      let s = p.shape[k / 4u][k % 4u];
      let c = rem % s;
      rem = rem / s;
      ia += c * p.sa[k / 4u][k % 4u];
      ib += c * p.sb[k / 4u][k % 4u];
    }
  }
  let va = a[ia];
  let vb = b[ib];
  if (OP == 0u) { y[i] = va + vb; } else { y[i] = va * vb; }
}
