// Direct conv2d, NCHW: one output element per invocation.
//   y[n,o,oh,ow] = act(bias[o] + sum_{c,kh,kw} x[n,c,oh*SH-PH+kh,ow*SW-PW+kw] * w[o,c,kh,kw])
// Taps that fall in the zero padding are skipped. The simple baseline: one load of x and one of
// w per FMA, but no redundant work at the edges and any shape works. Invocations are folded
// into a 2-D grid (index = g.x + g.y * num_workgroups.x * WG) for large outputs.

struct Params {
  N: u32, C: u32, H: u32, W: u32,
  O: u32, OH: u32, OW: u32, KH: u32,
  KW: u32, SH: u32, SW: u32, PH: u32,
  PW: u32, total: u32, pad0: u32, pad1: u32,
}

override WG: u32 = 64u;
override ACT: u32 = 0u;
override HAS_BIAS: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let idx = g.x + g.y * nw.x * WG;
  if (idx >= p.total) { return; }
  let ow = idx % p.OW;
  var t = idx / p.OW;
  let oh = t % p.OH;
  t = t / p.OH;
  let o = t % p.O;
  let n = t / p.O;
  let ih0 = i32(oh * p.SH) - i32(p.PH);
  let iw0 = i32(ow * p.SW) - i32(p.PW);
  let HW = p.H * p.W;
  let KK = p.KH * p.KW;
  var acc = 0.0;
  if (HAS_BIAS) { acc = bias[o]; }
  for (var c = 0u; c < p.C; c++) {
    let xc = (n * p.C + c) * HW;
    let wc = (o * p.C + c) * KK;
    for (var kh = 0u; kh < p.KH; kh++) {
      let ih = ih0 + i32(kh);
      if (ih < 0 || ih >= i32(p.H)) { continue; }
      let xr = xc + u32(ih) * p.W;
      let wr = wc + kh * p.KW;
      for (var kw = 0u; kw < p.KW; kw++) {
        let iw = iw0 + i32(kw);
        if (iw < 0 || iw >= i32(p.W)) { continue; }
        acc = fma(x[xr + u32(iw)], w[wr + kw], acc);
      }
    }
  }
  y[idx] = act_apply(acc, ACT);
}
