// Register-blocked conv2d, NCHW, as an implicit GEMM over a pre-padded input; vec4 output (OH*OW % 4 == 0).
// Each invocation computes 8 output channels x 16 output pixels of one image (pixels consecutive
// in the flattened OH*OW plane, so a block may wrap rows), accumulating over the C*KH*KW taps in
// one flat loop. conv2d_reg.wgsl and conv2d_reg_scalar.wgsl share everything but the stores.
//
// The op prepares three things first (conv2d_pad, conv2d_pack): the input with its zero padding
// materialised, so the loop has no bounds tests; the weights as wt[k][o] with O rounded up to a
// multiple of 8 and zero-filled, so a tap's 8 weights are 2 aligned vec4 loads; and tap[k], the
// offset of tap k = (c*KH + kh)*KW + kw inside one padded image, so the loop needs no division.
//
// Per tap an invocation issues 2 vec4 weight loads, one tap load and 16 input loads for 128
// FMAs. On CPU-backed adapters each load instruction costs about the same whatever its width
// (it is a per-lane gather), so that ratio sets the speed: measured on SwiftShader, this 8x16
// block beat 8x8, 16x4, 8x4 and 4x16 (16x8 tied), the unpacked-weight kernel with inline
// padding tests (1.6x), and im2col followed by the vec4 matmul (the im2col pass alone cost more
// than this whole kernel). Stores are the other cost: 128 per invocation, which is why the
// vec4-output kernel, writing 4 pixels of a channel at once, exists (1.3x on the digits' first
// conv, whose 25 taps leave the stores a large share).
//
// Only 'none' and 'relu' are fused (ACT 0 or 1): the ReLU is inlined on whole vec4s.

struct Params {
  N: u32, C: u32, H: u32, W: u32,      // H, W: padded input size
  O: u32, OH: u32, OW: u32, KH: u32,
  KW: u32, SH: u32, SW: u32, CKK: u32,
  O8: u32, total: u32, pad0: u32, pad1: u32,
}

override WG: u32 = 64u;
override ACT: u32 = 0u;
override HAS_BIAS: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<vec4f>;
@group(0) @binding(2) var<storage, read> tap: array<u32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<vec4f>;
@group(0) @binding(5) var<uniform> p: Params;

fn relu_if(v: vec4f) -> vec4f {
  if (ACT == 1u) { return max(v, vec4f(0.0)); }
  return v;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  // p.total counts blocks: N * (O8 / 8) * ceil(OH*OW / 16).
  let idx = g.x + g.y * nw.x * WG;
  if (idx >= p.total) { return; }
  let P = p.OH * p.OW;
  let nPB = (P + 15u) / 16u;
  let nOB = p.O8 / 8u;
  let pb = idx % nPB;
  let rest = idx / nPB;
  let ob = rest % nOB;
  let n = rest / nOB;
  let o0 = ob * 8u;
  let p0 = pb * 16u;
  let lastP = P - 1u;
  let xb = n * p.C * p.H * p.W;
  let O4 = p.O8 / 4u;
  let q0 = min(p0 + 0u, lastP);
  let x0 = xb + (q0 / p.OW) * p.SH * p.W + (q0 % p.OW) * p.SW;
  let q1 = min(p0 + 1u, lastP);
  let x1 = xb + (q1 / p.OW) * p.SH * p.W + (q1 % p.OW) * p.SW;
  let q2 = min(p0 + 2u, lastP);
  let x2 = xb + (q2 / p.OW) * p.SH * p.W + (q2 % p.OW) * p.SW;
  let q3 = min(p0 + 3u, lastP);
  let x3 = xb + (q3 / p.OW) * p.SH * p.W + (q3 % p.OW) * p.SW;
  let q4 = min(p0 + 4u, lastP);
  let x4 = xb + (q4 / p.OW) * p.SH * p.W + (q4 % p.OW) * p.SW;
  let q5 = min(p0 + 5u, lastP);
  let x5 = xb + (q5 / p.OW) * p.SH * p.W + (q5 % p.OW) * p.SW;
  let q6 = min(p0 + 6u, lastP);
  let x6 = xb + (q6 / p.OW) * p.SH * p.W + (q6 % p.OW) * p.SW;
  let q7 = min(p0 + 7u, lastP);
  let x7 = xb + (q7 / p.OW) * p.SH * p.W + (q7 % p.OW) * p.SW;
  let q8 = min(p0 + 8u, lastP);
  let x8 = xb + (q8 / p.OW) * p.SH * p.W + (q8 % p.OW) * p.SW;
  let q9 = min(p0 + 9u, lastP);
  let x9 = xb + (q9 / p.OW) * p.SH * p.W + (q9 % p.OW) * p.SW;
  let q10 = min(p0 + 10u, lastP);
  let x10 = xb + (q10 / p.OW) * p.SH * p.W + (q10 % p.OW) * p.SW;
  let q11 = min(p0 + 11u, lastP);
  let x11 = xb + (q11 / p.OW) * p.SH * p.W + (q11 % p.OW) * p.SW;
  let q12 = min(p0 + 12u, lastP);
  let x12 = xb + (q12 / p.OW) * p.SH * p.W + (q12 % p.OW) * p.SW;
  let q13 = min(p0 + 13u, lastP);
  let x13 = xb + (q13 / p.OW) * p.SH * p.W + (q13 % p.OW) * p.SW;
  let q14 = min(p0 + 14u, lastP);
  let x14 = xb + (q14 / p.OW) * p.SH * p.W + (q14 % p.OW) * p.SW;
  let q15 = min(p0 + 15u, lastP);
  let x15 = xb + (q15 / p.OW) * p.SH * p.W + (q15 % p.OW) * p.SW;
  var acc0a = vec4f(0.0);
  var acc0b = vec4f(0.0);
  var acc1a = vec4f(0.0);
  var acc1b = vec4f(0.0);
  var acc2a = vec4f(0.0);
  var acc2b = vec4f(0.0);
  var acc3a = vec4f(0.0);
  var acc3b = vec4f(0.0);
  var acc4a = vec4f(0.0);
  var acc4b = vec4f(0.0);
  var acc5a = vec4f(0.0);
  var acc5b = vec4f(0.0);
  var acc6a = vec4f(0.0);
  var acc6b = vec4f(0.0);
  var acc7a = vec4f(0.0);
  var acc7b = vec4f(0.0);
  var acc8a = vec4f(0.0);
  var acc8b = vec4f(0.0);
  var acc9a = vec4f(0.0);
  var acc9b = vec4f(0.0);
  var acc10a = vec4f(0.0);
  var acc10b = vec4f(0.0);
  var acc11a = vec4f(0.0);
  var acc11b = vec4f(0.0);
  var acc12a = vec4f(0.0);
  var acc12b = vec4f(0.0);
  var acc13a = vec4f(0.0);
  var acc13b = vec4f(0.0);
  var acc14a = vec4f(0.0);
  var acc14b = vec4f(0.0);
  var acc15a = vec4f(0.0);
  var acc15b = vec4f(0.0);
  for (var k = 0u; k < p.CKK; k++) {
    let t = tap[k];
    let wb = k * O4 + ob * 2u;
    let wa = wt[wb];
    let wc = wt[wb + 1u];
    let v0 = vec4f(x[x0 + t]);
    acc0a = fma(v0, wa, acc0a);
    acc0b = fma(v0, wc, acc0b);
    let v1 = vec4f(x[x1 + t]);
    acc1a = fma(v1, wa, acc1a);
    acc1b = fma(v1, wc, acc1b);
    let v2 = vec4f(x[x2 + t]);
    acc2a = fma(v2, wa, acc2a);
    acc2b = fma(v2, wc, acc2b);
    let v3 = vec4f(x[x3 + t]);
    acc3a = fma(v3, wa, acc3a);
    acc3b = fma(v3, wc, acc3b);
    let v4 = vec4f(x[x4 + t]);
    acc4a = fma(v4, wa, acc4a);
    acc4b = fma(v4, wc, acc4b);
    let v5 = vec4f(x[x5 + t]);
    acc5a = fma(v5, wa, acc5a);
    acc5b = fma(v5, wc, acc5b);
    let v6 = vec4f(x[x6 + t]);
    acc6a = fma(v6, wa, acc6a);
    acc6b = fma(v6, wc, acc6b);
    let v7 = vec4f(x[x7 + t]);
    acc7a = fma(v7, wa, acc7a);
    acc7b = fma(v7, wc, acc7b);
    let v8 = vec4f(x[x8 + t]);
    acc8a = fma(v8, wa, acc8a);
    acc8b = fma(v8, wc, acc8b);
    let v9 = vec4f(x[x9 + t]);
    acc9a = fma(v9, wa, acc9a);
    acc9b = fma(v9, wc, acc9b);
    let v10 = vec4f(x[x10 + t]);
    acc10a = fma(v10, wa, acc10a);
    acc10b = fma(v10, wc, acc10b);
    let v11 = vec4f(x[x11 + t]);
    acc11a = fma(v11, wa, acc11a);
    acc11b = fma(v11, wc, acc11b);
    let v12 = vec4f(x[x12 + t]);
    acc12a = fma(v12, wa, acc12a);
    acc12b = fma(v12, wc, acc12b);
    let v13 = vec4f(x[x13 + t]);
    acc13a = fma(v13, wa, acc13a);
    acc13b = fma(v13, wc, acc13b);
    let v14 = vec4f(x[x14 + t]);
    acc14a = fma(v14, wa, acc14a);
    acc14b = fma(v14, wc, acc14b);
    let v15 = vec4f(x[x15 + t]);
    acc15a = fma(v15, wa, acc15a);
    acc15b = fma(v15, wc, acc15b);
  }

  // Bias and ReLU on whole vec4s (channels o0..o0+3 and o0+4..o0+7).
  var ba = vec4f(0.0);
  var bb = vec4f(0.0);
  if (HAS_BIAS) {
    let lastO = p.O - 1u;
    ba = vec4f(bias[min(o0, lastO)], bias[min(o0 + 1u, lastO)], bias[min(o0 + 2u, lastO)], bias[min(o0 + 3u, lastO)]);
    bb = vec4f(bias[min(o0 + 4u, lastO)], bias[min(o0 + 5u, lastO)], bias[min(o0 + 6u, lastO)], bias[min(o0 + 7u, lastO)]);
  }
  acc0a = relu_if(acc0a + ba);
  acc0b = relu_if(acc0b + bb);
  acc1a = relu_if(acc1a + ba);
  acc1b = relu_if(acc1b + bb);
  acc2a = relu_if(acc2a + ba);
  acc2b = relu_if(acc2b + bb);
  acc3a = relu_if(acc3a + ba);
  acc3b = relu_if(acc3b + bb);
  acc4a = relu_if(acc4a + ba);
  acc4b = relu_if(acc4b + bb);
  acc5a = relu_if(acc5a + ba);
  acc5b = relu_if(acc5b + bb);
  acc6a = relu_if(acc6a + ba);
  acc6b = relu_if(acc6b + bb);
  acc7a = relu_if(acc7a + ba);
  acc7b = relu_if(acc7b + bb);
  acc8a = relu_if(acc8a + ba);
  acc8b = relu_if(acc8b + bb);
  acc9a = relu_if(acc9a + ba);
  acc9b = relu_if(acc9b + bb);
  acc10a = relu_if(acc10a + ba);
  acc10b = relu_if(acc10b + bb);
  acc11a = relu_if(acc11a + ba);
  acc11b = relu_if(acc11b + bb);
  acc12a = relu_if(acc12a + ba);
  acc12b = relu_if(acc12b + bb);
  acc13a = relu_if(acc13a + ba);
  acc13b = relu_if(acc13b + bb);
  acc14a = relu_if(acc14a + ba);
  acc14b = relu_if(acc14b + bb);
  acc15a = relu_if(acc15a + ba);
  acc15b = relu_if(acc15b + bb);

  // y[n, o, q..q+3] as one vec4: P % 4 == 0 and p0 % 16 == 0 keep it aligned, and a group
  // of 4 pixels is either wholly inside the image or wholly past its end.
  let P4 = P / 4u;
  let yb = n * p.O * P4 + p0 / 4u;
  if (p0 + 0u < P) {
    y[yb + o0 * P4 + 0u] = vec4f(acc0a.x, acc1a.x, acc2a.x, acc3a.x);
    if (o0 + 1u < p.O) { y[yb + (o0 + 1u) * P4 + 0u] = vec4f(acc0a.y, acc1a.y, acc2a.y, acc3a.y); }
    if (o0 + 2u < p.O) { y[yb + (o0 + 2u) * P4 + 0u] = vec4f(acc0a.z, acc1a.z, acc2a.z, acc3a.z); }
    if (o0 + 3u < p.O) { y[yb + (o0 + 3u) * P4 + 0u] = vec4f(acc0a.w, acc1a.w, acc2a.w, acc3a.w); }
    if (o0 + 4u < p.O) { y[yb + (o0 + 4u) * P4 + 0u] = vec4f(acc0b.x, acc1b.x, acc2b.x, acc3b.x); }
    if (o0 + 5u < p.O) { y[yb + (o0 + 5u) * P4 + 0u] = vec4f(acc0b.y, acc1b.y, acc2b.y, acc3b.y); }
    if (o0 + 6u < p.O) { y[yb + (o0 + 6u) * P4 + 0u] = vec4f(acc0b.z, acc1b.z, acc2b.z, acc3b.z); }
    if (o0 + 7u < p.O) { y[yb + (o0 + 7u) * P4 + 0u] = vec4f(acc0b.w, acc1b.w, acc2b.w, acc3b.w); }
  }
  if (p0 + 4u < P) {
    y[yb + o0 * P4 + 1u] = vec4f(acc4a.x, acc5a.x, acc6a.x, acc7a.x);
    if (o0 + 1u < p.O) { y[yb + (o0 + 1u) * P4 + 1u] = vec4f(acc4a.y, acc5a.y, acc6a.y, acc7a.y); }
    if (o0 + 2u < p.O) { y[yb + (o0 + 2u) * P4 + 1u] = vec4f(acc4a.z, acc5a.z, acc6a.z, acc7a.z); }
    if (o0 + 3u < p.O) { y[yb + (o0 + 3u) * P4 + 1u] = vec4f(acc4a.w, acc5a.w, acc6a.w, acc7a.w); }
    if (o0 + 4u < p.O) { y[yb + (o0 + 4u) * P4 + 1u] = vec4f(acc4b.x, acc5b.x, acc6b.x, acc7b.x); }
    if (o0 + 5u < p.O) { y[yb + (o0 + 5u) * P4 + 1u] = vec4f(acc4b.y, acc5b.y, acc6b.y, acc7b.y); }
    if (o0 + 6u < p.O) { y[yb + (o0 + 6u) * P4 + 1u] = vec4f(acc4b.z, acc5b.z, acc6b.z, acc7b.z); }
    if (o0 + 7u < p.O) { y[yb + (o0 + 7u) * P4 + 1u] = vec4f(acc4b.w, acc5b.w, acc6b.w, acc7b.w); }
  }
  if (p0 + 8u < P) {
    y[yb + o0 * P4 + 2u] = vec4f(acc8a.x, acc9a.x, acc10a.x, acc11a.x);
    if (o0 + 1u < p.O) { y[yb + (o0 + 1u) * P4 + 2u] = vec4f(acc8a.y, acc9a.y, acc10a.y, acc11a.y); }
    if (o0 + 2u < p.O) { y[yb + (o0 + 2u) * P4 + 2u] = vec4f(acc8a.z, acc9a.z, acc10a.z, acc11a.z); }
    if (o0 + 3u < p.O) { y[yb + (o0 + 3u) * P4 + 2u] = vec4f(acc8a.w, acc9a.w, acc10a.w, acc11a.w); }
    if (o0 + 4u < p.O) { y[yb + (o0 + 4u) * P4 + 2u] = vec4f(acc8b.x, acc9b.x, acc10b.x, acc11b.x); }
    if (o0 + 5u < p.O) { y[yb + (o0 + 5u) * P4 + 2u] = vec4f(acc8b.y, acc9b.y, acc10b.y, acc11b.y); }
    if (o0 + 6u < p.O) { y[yb + (o0 + 6u) * P4 + 2u] = vec4f(acc8b.z, acc9b.z, acc10b.z, acc11b.z); }
    if (o0 + 7u < p.O) { y[yb + (o0 + 7u) * P4 + 2u] = vec4f(acc8b.w, acc9b.w, acc10b.w, acc11b.w); }
  }
  if (p0 + 12u < P) {
    y[yb + o0 * P4 + 3u] = vec4f(acc12a.x, acc13a.x, acc14a.x, acc15a.x);
    if (o0 + 1u < p.O) { y[yb + (o0 + 1u) * P4 + 3u] = vec4f(acc12a.y, acc13a.y, acc14a.y, acc15a.y); }
    if (o0 + 2u < p.O) { y[yb + (o0 + 2u) * P4 + 3u] = vec4f(acc12a.z, acc13a.z, acc14a.z, acc15a.z); }
    if (o0 + 3u < p.O) { y[yb + (o0 + 3u) * P4 + 3u] = vec4f(acc12a.w, acc13a.w, acc14a.w, acc15a.w); }
    if (o0 + 4u < p.O) { y[yb + (o0 + 4u) * P4 + 3u] = vec4f(acc12b.x, acc13b.x, acc14b.x, acc15b.x); }
    if (o0 + 5u < p.O) { y[yb + (o0 + 5u) * P4 + 3u] = vec4f(acc12b.y, acc13b.y, acc14b.y, acc15b.y); }
    if (o0 + 6u < p.O) { y[yb + (o0 + 6u) * P4 + 3u] = vec4f(acc12b.z, acc13b.z, acc14b.z, acc15b.z); }
    if (o0 + 7u < p.O) { y[yb + (o0 + 7u) * P4 + 3u] = vec4f(acc12b.w, acc13b.w, acc14b.w, acc15b.w); }
  }
}
