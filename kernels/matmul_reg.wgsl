// Register-blocked matmul, vec4 path: C[b] = act(A[b] x B[b] + bias).
//
// Each invocation computes an 8x8 block of C (8 rows x two vec4 columns) straight from global
// memory, with no workgroup memory and no barriers. On CPU-backed adapters (SwiftShader,
// llvmpipe) every per-lane load is a gather and every barrier a coroutine switch, so what counts
// is FMAs per load: an 8x8 block does 64 FMAs per 16 loaded values, 8x the ratio of one output
// per invocation, and 16 vec4 accumulators are about what fits in registers without spilling
// (measured on SwiftShader: 4x4, 8x4, 4x8, 16x8 and 8x16 blocks were all slower, and unrolling
// K by two was slower too). matmul_reg_sg.wgsl halves the loads again where subgroups exist.
//
// Requires K % 4 == 0 and N % 4 == 0 (vec4 rows); the op falls back to matmul_reg_scalar
// otherwise. Rows past M and columns past N are clamped for loading and skipped when storing.
// Batch: grid z is the batch index; a batch stride of 0 broadcasts an operand over the batch.
// batchOffset and rowOffset let the op split a batch or an M larger than the grid limit into
// several launches.

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

@group(0) @binding(0) var<storage, read> A: array<vec4f>;
@group(0) @binding(1) var<storage, read> B: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> C: array<vec4f>;
@group(0) @binding(4) var<uniform> p: Params;

fn epilogue(v: vec4f, col4: u32) -> vec4f {
  var r = v;
  if (HAS_BIAS) { r += bias[col4]; }
  return act_apply4(r, ACT);
}

@compute @workgroup_size(WX, WY)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let K4 = p.K / 4u;
  let N4 = p.N / 4u;
  let r0 = g.y * 8u + p.rowOffset;
  let c0 = g.x * 2u;
  if (r0 >= p.M || c0 >= N4) { return; }
  let batch = g.z + p.batchOffset;
  let aBase = batch * (p.aBatch / 4u);
  let bBase = batch * (p.bBatch / 4u);
  let cBase = batch * (p.cBatch / 4u);
  let lastRow = p.M - 1u;
  let c1 = min(c0 + 1u, N4 - 1u);
  let ra0 = aBase + min(r0 + 0u, lastRow) * K4;
  let ra1 = aBase + min(r0 + 1u, lastRow) * K4;
  let ra2 = aBase + min(r0 + 2u, lastRow) * K4;
  let ra3 = aBase + min(r0 + 3u, lastRow) * K4;
  let ra4 = aBase + min(r0 + 4u, lastRow) * K4;
  let ra5 = aBase + min(r0 + 5u, lastRow) * K4;
  let ra6 = aBase + min(r0 + 6u, lastRow) * K4;
  let ra7 = aBase + min(r0 + 7u, lastRow) * K4;
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
  for (var k4 = 0u; k4 < K4; k4++) {
    let a0 = A[ra0 + k4];
    let a1 = A[ra1 + k4];
    let a2 = A[ra2 + k4];
    let a3 = A[ra3 + k4];
    let a4 = A[ra4 + k4];
    let a5 = A[ra5 + k4];
    let a6 = A[ra6 + k4];
    let a7 = A[ra7 + k4];
    let kb = bBase + k4 * 4u * N4;
    let b00 = B[kb + c0];
    let b01 = B[kb + c1];
    acc00 = fma(vec4f(a0.x), b00, acc00);
    acc01 = fma(vec4f(a0.x), b01, acc01);
    acc10 = fma(vec4f(a1.x), b00, acc10);
    acc11 = fma(vec4f(a1.x), b01, acc11);
    acc20 = fma(vec4f(a2.x), b00, acc20);
    acc21 = fma(vec4f(a2.x), b01, acc21);
    acc30 = fma(vec4f(a3.x), b00, acc30);
    acc31 = fma(vec4f(a3.x), b01, acc31);
    acc40 = fma(vec4f(a4.x), b00, acc40);
    acc41 = fma(vec4f(a4.x), b01, acc41);
    acc50 = fma(vec4f(a5.x), b00, acc50);
    acc51 = fma(vec4f(a5.x), b01, acc51);
    acc60 = fma(vec4f(a6.x), b00, acc60);
    acc61 = fma(vec4f(a6.x), b01, acc61);
    acc70 = fma(vec4f(a7.x), b00, acc70);
    acc71 = fma(vec4f(a7.x), b01, acc71);
    let b10 = B[kb + 1u * N4 + c0];
    let b11 = B[kb + 1u * N4 + c1];
    acc00 = fma(vec4f(a0.y), b10, acc00);
    acc01 = fma(vec4f(a0.y), b11, acc01);
    acc10 = fma(vec4f(a1.y), b10, acc10);
    acc11 = fma(vec4f(a1.y), b11, acc11);
    acc20 = fma(vec4f(a2.y), b10, acc20);
    acc21 = fma(vec4f(a2.y), b11, acc21);
    acc30 = fma(vec4f(a3.y), b10, acc30);
    acc31 = fma(vec4f(a3.y), b11, acc31);
    acc40 = fma(vec4f(a4.y), b10, acc40);
    acc41 = fma(vec4f(a4.y), b11, acc41);
    acc50 = fma(vec4f(a5.y), b10, acc50);
    acc51 = fma(vec4f(a5.y), b11, acc51);
    acc60 = fma(vec4f(a6.y), b10, acc60);
    acc61 = fma(vec4f(a6.y), b11, acc61);
    acc70 = fma(vec4f(a7.y), b10, acc70);
    acc71 = fma(vec4f(a7.y), b11, acc71);
    let b20 = B[kb + 2u * N4 + c0];
    let b21 = B[kb + 2u * N4 + c1];
    acc00 = fma(vec4f(a0.z), b20, acc00);
    acc01 = fma(vec4f(a0.z), b21, acc01);
    acc10 = fma(vec4f(a1.z), b20, acc10);
    acc11 = fma(vec4f(a1.z), b21, acc11);
    acc20 = fma(vec4f(a2.z), b20, acc20);
    acc21 = fma(vec4f(a2.z), b21, acc21);
    acc30 = fma(vec4f(a3.z), b20, acc30);
    acc31 = fma(vec4f(a3.z), b21, acc31);
    acc40 = fma(vec4f(a4.z), b20, acc40);
    acc41 = fma(vec4f(a4.z), b21, acc41);
    acc50 = fma(vec4f(a5.z), b20, acc50);
    acc51 = fma(vec4f(a5.z), b21, acc51);
    acc60 = fma(vec4f(a6.z), b20, acc60);
    acc61 = fma(vec4f(a6.z), b21, acc61);
    acc70 = fma(vec4f(a7.z), b20, acc70);
    acc71 = fma(vec4f(a7.z), b21, acc71);
    let b30 = B[kb + 3u * N4 + c0];
    let b31 = B[kb + 3u * N4 + c1];
    acc00 = fma(vec4f(a0.w), b30, acc00);
    acc01 = fma(vec4f(a0.w), b31, acc01);
    acc10 = fma(vec4f(a1.w), b30, acc10);
    acc11 = fma(vec4f(a1.w), b31, acc11);
    acc20 = fma(vec4f(a2.w), b30, acc20);
    acc21 = fma(vec4f(a2.w), b31, acc21);
    acc30 = fma(vec4f(a3.w), b30, acc30);
    acc31 = fma(vec4f(a3.w), b31, acc31);
    acc40 = fma(vec4f(a4.w), b30, acc40);
    acc41 = fma(vec4f(a4.w), b31, acc41);
    acc50 = fma(vec4f(a5.w), b30, acc50);
    acc51 = fma(vec4f(a5.w), b31, acc51);
    acc60 = fma(vec4f(a6.w), b30, acc60);
    acc61 = fma(vec4f(a6.w), b31, acc61);
    acc70 = fma(vec4f(a7.w), b30, acc70);
    acc71 = fma(vec4f(a7.w), b31, acc71);
  }
  // One loop (not 16 unrolled stores) so the activation is emitted once: SwiftShader inlines
  // every call site, and 16 copies of GELU made this pipeline several times slower to compile.
  var acc = array<vec4f, 16>(acc00, acc01, acc10, acc11, acc20, acc21, acc30, acc31, acc40, acc41, acc50, acc51, acc60, acc61, acc70, acc71);
  for (var i = 0u; i < 8u; i++) {
    let r = r0 + i;
    if (r >= p.M) { break; }
    for (var j = 0u; j < 2u; j++) {
      if (c0 + j < N4) { C[cBase + r * N4 + c0 + j] = epilogue(acc[2u * i + j], c0 + j); }
    }
  }
}
