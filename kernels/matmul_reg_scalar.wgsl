// Register-blocked matmul, scalar path for shapes the vec4 kernel cannot take (K or N not a
// multiple of 4, or K == 0). Same 8x8 block per invocation as matmul_reg.wgsl and the same
// FMA-per-load ratio; each B row segment is gathered as 8 scalars with clamped column indices
// and packed into two vec4s so the accumulation stays vectorised.

struct Params {
  M: u32, N: u32, K: u32, batchOffset: u32,
  aBatch: u32, bBatch: u32, cBatch: u32, rowOffset: u32,
}

// Workgroup shape: 8x8 by default (a 64x64 tile); the op picks a wider, flatter one for
// skinny products (M <= 32) so fewer invocations sit idle past the last row.
override WX: u32 = 8u;
override WY: u32 = 8u;
override ACT: u32 = 0u;
override HAS_BIAS: bool = false;

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

fn epilogue(v: f32, col: u32) -> f32 {
  var r = v;
  if (HAS_BIAS) { r += bias[col]; }
  return act_apply(r, ACT);
}

@compute @workgroup_size(WX, WY)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let r0 = g.y * 8u + p.rowOffset;
  let c0 = g.x * 8u;
  if (r0 >= p.M || c0 >= p.N) { return; }
  let batch = g.z + p.batchOffset;
  let aBase = batch * p.aBatch;
  let bBase = batch * p.bBatch;
  let cBase = batch * p.cBatch;
  let lastRow = p.M - 1u;
  let lastCol = p.N - 1u;
  let ra0 = aBase + min(r0 + 0u, lastRow) * p.K;
  let ra1 = aBase + min(r0 + 1u, lastRow) * p.K;
  let ra2 = aBase + min(r0 + 2u, lastRow) * p.K;
  let ra3 = aBase + min(r0 + 3u, lastRow) * p.K;
  let ra4 = aBase + min(r0 + 4u, lastRow) * p.K;
  let ra5 = aBase + min(r0 + 5u, lastRow) * p.K;
  let ra6 = aBase + min(r0 + 6u, lastRow) * p.K;
  let ra7 = aBase + min(r0 + 7u, lastRow) * p.K;
  let cc0 = min(c0 + 0u, lastCol);
  let cc1 = min(c0 + 1u, lastCol);
  let cc2 = min(c0 + 2u, lastCol);
  let cc3 = min(c0 + 3u, lastCol);
  let cc4 = min(c0 + 4u, lastCol);
  let cc5 = min(c0 + 5u, lastCol);
  let cc6 = min(c0 + 6u, lastCol);
  let cc7 = min(c0 + 7u, lastCol);
  var acc00 = vec4f(0.0);
  var acc01 = vec4f(0.0);
  var acc10 = vec4f(0.0);
  var acc11 = vec4f(0.0);
  var acc20 = vec4f(0.0);
  var acc21 = vec4f(0.0);
  var acc30 = vec4f(0.0);
  var acc31 = vec4f(0.0);
  var acc40 = vec4f(0.0);
  var acc41 = vec4f(0.0);
  var acc50 = vec4f(0.0);
  var acc51 = vec4f(0.0);
  var acc60 = vec4f(0.0);
  var acc61 = vec4f(0.0);
  var acc70 = vec4f(0.0);
  var acc71 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let kb = bBase + k * p.N;
    let b0 = vec4f(B[kb + cc0], B[kb + cc1], B[kb + cc2], B[kb + cc3]);
    let b1 = vec4f(B[kb + cc4], B[kb + cc5], B[kb + cc6], B[kb + cc7]);
    let a0 = vec4f(A[ra0 + k]);
    acc00 = fma(a0, b0, acc00);
    acc01 = fma(a0, b1, acc01);
    let a1 = vec4f(A[ra1 + k]);
    acc10 = fma(a1, b0, acc10);
    acc11 = fma(a1, b1, acc11);
    let a2 = vec4f(A[ra2 + k]);
    acc20 = fma(a2, b0, acc20);
    acc21 = fma(a2, b1, acc21);
    let a3 = vec4f(A[ra3 + k]);
    acc30 = fma(a3, b0, acc30);
    acc31 = fma(a3, b1, acc31);
    let a4 = vec4f(A[ra4 + k]);
    acc40 = fma(a4, b0, acc40);
    acc41 = fma(a4, b1, acc41);
    let a5 = vec4f(A[ra5 + k]);
    acc50 = fma(a5, b0, acc50);
    acc51 = fma(a5, b1, acc51);
    let a6 = vec4f(A[ra6 + k]);
    acc60 = fma(a6, b0, acc60);
    acc61 = fma(a6, b1, acc61);
    let a7 = vec4f(A[ra7 + k]);
    acc70 = fma(a7, b0, acc70);
    acc71 = fma(a7, b1, acc71);
  }
  // One loop (not 64 unrolled stores) so the activation is emitted once: SwiftShader inlines
  // every call site.
  var acc = array<vec4f, 16>(acc00, acc01, acc10, acc11, acc20, acc21, acc30, acc31, acc40, acc41, acc50, acc51, acc60, acc61, acc70, acc71);
  for (var i = 0u; i < 8u; i++) {
    let r = r0 + i;
    if (r >= p.M) { break; }
    for (var j = 0u; j < 8u; j++) {
      let c = c0 + j;
      if (c < p.N) { C[cBase + r * p.N + c] = epilogue(acc[2u * i + j / 4u][j % 4u], c); }
    }
  }
}
