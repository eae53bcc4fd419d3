// Packs conv2d weights [O, C, KH, KW] for conv2d_reg: wt[k, o] for k = (c*KH + kh)*KW + kw, with
// O rounded up to O8 (a multiple of the kernel's channel block) and zero-filled, plus tap[k], the
// offset of tap k inside one padded input image (c*Hp*Wp + kh*Wp + kw). One invocation per k.

struct Params {
  O: u32, O8: u32, CKK: u32, KH: u32,
  KW: u32, Hp: u32, Wp: u32, pad0: u32,
}

override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> tap: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let k = g.x + g.y * nw.x * WG;
  if (k >= p.CKK) { return; }
  let KK = p.KH * p.KW;
  let c = k / KK;
  let r = k % KK;
  tap[k] = c * p.Hp * p.Wp + (r / p.KW) * p.Wp + r % p.KW;
  for (var o = 0u; o < p.O8; o++) {
    var v = 0.0;
    if (o < p.O) { v = w[o * p.CKK + k]; }
    wt[k * p.O8 + o] = v;
  }
}
