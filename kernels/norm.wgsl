// LayerNorm / RMSNorm over the last axis of x viewed as [rows, len]: one workgroup per row
// (rows folded into a 2-D grid of workgroups), tree reductions in workgroup memory.
//
//   LayerNorm (RMS = false): y = (x - mean) / sqrt(var + eps) * gamma + beta, with the biased
//     variance mean((x - mean)^2) (PyTorch's definition), computed in a second pass over the
//     row rather than as E[x^2] - mean^2, which cancels catastrophically when |mean| >> std.
//   RMSNorm (RMS = true): y = x / sqrt(mean(x^2) + eps) * gamma; `beta` is bound but unused.

struct Params { rows: u32, len: u32, eps: f32, pad0: u32 }

override WG: u32 = 64u;
override RMS: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> red: array<f32, WG>;

fn reduce_sum(l: u32, v: f32) -> f32 {
  red[l] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (l < s) { red[l] += red[l + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  // Nobody may overwrite red[0] for the next reduction before everyone has read it.
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nw: vec3u,
        @builtin(local_invocation_index) l: u32) {
  let row = wid.x + wid.y * nw.x;
  if (row >= p.rows) { return; }
  let base = row * p.len;
  let n = f32(p.len);

  var mean = 0.0;
  if (!RMS) {
    var s = 0.0;
    for (var i = l; i < p.len; i += WG) { s += x[base + i]; }
    mean = reduce_sum(l, s) / n;
  }
  var q = 0.0;
  for (var i = l; i < p.len; i += WG) {
    let d = x[base + i] - mean;
    q += d * d;
  }
  let inv = inverseSqrt(reduce_sum(l, q) / n + p.eps);

  for (var i = l; i < p.len; i += WG) {
    var v = (x[base + i] - mean) * inv * gamma[i];
    if (!RMS) { v += beta[i]; }
    y[base + i] = v;
  }
}
