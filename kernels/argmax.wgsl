// Argmax over the last axis of x viewed as [rows, len] -> u32 indices: one workgroup per row
// (rows folded into a 2-D grid of workgroups), tree reduction of (value, index) pairs.
//
// Ties go to the lowest index (NumPy and PyTorch agree). NaN counts as greater than every
// number, so a row with NaN returns its first NaN (NumPy's behaviour): a corrupted logit is then
// visible in the result instead of being silently skipped. NaN is detected from the bits, since
// x != x may be folded away by compilers that assume no NaNs.

struct Params { rows: u32, len: u32, pad0: u32, pad1: u32 }

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> rv: array<f32, WG>;
var<workgroup> ri: array<u32, WG>;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Whether (va, ia) beats (vb, ib).
fn better(va: f32, ia: u32, vb: f32, ib: u32) -> bool {
  let na = is_nan(va);
  let nb = is_nan(vb);
  if (na || nb) {
    if (na && nb) { return ia < ib; }
    return na;
  }
  if (va == vb) { return ia < ib; }
  return va > vb;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nw: vec3u,
        @builtin(local_invocation_index) l: u32) {
  let row = wid.x + wid.y * nw.x;
  if (row >= p.rows) { return; }
  let base = row * p.len;

  // Invocations past the end of a short row start from element 0, which only ever ties with
  // itself; the index comparison then keeps the right answer.
  var bv = x[base];
  var bi = 0u;
  for (var i = l; i < p.len; i += WG) {
    let v = x[base + i];
    if (better(v, i, bv, bi)) { bv = v; bi = i; }
  }
  rv[l] = bv;
  ri[l] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (l < s && better(rv[l + s], ri[l + s], rv[l], ri[l])) {
      rv[l] = rv[l + s];
      ri[l] = ri[l + s];
    }
    workgroupBarrier();
  }
  if (l == 0u) { y[row] = ri[0]; }
}
