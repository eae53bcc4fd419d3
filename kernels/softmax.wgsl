// Softmax over the last axis of x viewed as [rows, len]: one workgroup per row (rows folded into
// a 2-D grid of workgroups), invocations striding over the row, two tree reductions in
// workgroup memory.
//
// Numerically stable: y = exp(x - max) / sum(exp(x - max)). Every exponent is <= 0, so nothing
// overflows, and the max element contributes exp(0) = 1, so the sum is >= 1 and never 0: logits
// of +-1e4 give exact 0s and 1s, not NaN. A row containing +inf, or only -inf, gives NaN (as in
// PyTorch); a row with some -inf gives those entries 0 (attention masks rely on it).

struct Params { rows: u32, len: u32, pad0: u32, pad1: u32 }

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nw: vec3u,
        @builtin(local_invocation_index) l: u32) {
  let row = wid.x + wid.y * nw.x;
  if (row >= p.rows) { return; }
  let base = row * p.len;

  // Seeding with the row's first element (len >= 1) avoids needing an -inf literal.
  var m = x[base];
  for (var i = l; i < p.len; i += WG) { m = max(m, x[base + i]); }
  red[l] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (l < s) { red[l] = max(red[l], red[l + s]); }
    workgroupBarrier();
  }
  let mx = red[0];
  workgroupBarrier();

  var sum = 0.0;
  for (var i = l; i < p.len; i += WG) { sum += exp(x[base + i] - mx); }
  red[l] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (l < s) { red[l] += red[l + s]; }
    workgroupBarrier();
  }
  let inv = 1.0 / red[0];

  for (var i = l; i < p.len; i += WG) { y[base + i] = exp(x[base + i] - mx) * inv; }
}
