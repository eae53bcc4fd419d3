// Zero-pads an NCHW input by (PH, PW) on each side, for conv2d's 'reg' variant (whose inner loop
// then needs no bounds tests). One invocation per padded row: the row's coordinates are decoded
// once, and the loop along it is a plain copy with a zero on either side. (One invocation per
// element spent most of its time on the three divisions that decode its index.) Rows are folded
// into a 2-D grid.

struct Params {
  NC: u32, H: u32, W: u32, PH: u32,
  PW: u32, Hp: u32, Wp: u32, rows: u32,
}

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> xp: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let row = g.x + g.y * nw.x * WG;
  if (row >= p.rows) { return; }
  let h = row % p.Hp;
  let nc = row / p.Hp;
  let out = row * p.Wp;
  // u32 wrap-around makes h - PH huge when h < PH, so one comparison covers both sides.
  let ih = h - p.PH;
  if (ih >= p.H) {
    for (var w = 0u; w < p.Wp; w++) { xp[out + w] = 0.0; }
    return;
  }
  let src = (nc * p.H + ih) * p.W;
  for (var w = 0u; w < p.PW; w++) { xp[out + w] = 0.0; }
  for (var w = 0u; w < p.W; w++) { xp[out + p.PW + w] = x[src + w]; }
  for (var w = p.PW + p.W; w < p.Wp; w++) { xp[out + w] = 0.0; }
}
