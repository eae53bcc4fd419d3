// Register-blocked matmul sharing A through subgroups (variant 'reg-sg'), vec4 path only
// (K % 4 == 0, N % 4 == 0, K > 0): C[b] = act(A[b] x B[b] + bias).
//
// Each invocation computes 16 rows x 4 columns of C. The four invocations of a subgroup sit
// side by side along x, so they need the same 16 rows of A: each loads 4 of them and
// subgroupBroadcast hands every row to all four. Per step of 4 along K an invocation then issues
// 8 vec4 loads (4 of A, 4 of B) for 64 vec4 FMAs, half the loads of the 8x8 block in
// matmul_reg.wgsl for the same 16 accumulators. On SwiftShader, where every per-lane load is a
// gather and a broadcast costs a few shuffles, that measured about 1.35x faster.
//
// Correctness needs subgroups of exactly 4 consecutive invocations (SwiftShader's SIMD width).
// Other subgroup sizes take the plain path below (every invocation loads its own 16 rows), so
// the kernel is right everywhere; the autotuner decides whether it is worth it. No invocation
// returns early and loads are clamped, because a broadcast from an inactive lane is undefined.

enable subgroups;

struct Params {
  M: u32, N: u32, K: u32, batchOffset: u32,
  aBatch: u32, bBatch: u32, cBatch: u32, rowOffset: u32,
}

// WX must be a multiple of 4 (a subgroup spans 4 invocations along x).
override WX: u32 = 16u;
override WY: u32 = 4u;
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
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(subgroup_invocation_id) sid: u32,
        @builtin(subgroup_size) sgsize: u32) {
  let K4 = p.K / 4u;
  let N4 = p.N / 4u;
  let r0 = g.y * 16u + p.rowOffset;
  let col = min(g.x, N4 - 1u);
  let batch = g.z + p.batchOffset;
  let aBase = batch * (p.aBatch / 4u);
  let bBase = batch * (p.bBatch / 4u) + col;
  let cBase = batch * (p.cBatch / 4u);
  let lastRow = p.M - 1u;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);
  var acc8 = vec4f(0.0);
  var acc9 = vec4f(0.0);
  var acc10 = vec4f(0.0);
  var acc11 = vec4f(0.0);
  var acc12 = vec4f(0.0);
  var acc13 = vec4f(0.0);
  var acc14 = vec4f(0.0);
  var acc15 = vec4f(0.0);
  if (sgsize == 4u) {
    let ra0 = aBase + min(r0 + sid * 4u + 0u, lastRow) * K4;
    let ra1 = aBase + min(r0 + sid * 4u + 1u, lastRow) * K4;
    let ra2 = aBase + min(r0 + sid * 4u + 2u, lastRow) * K4;
    let ra3 = aBase + min(r0 + sid * 4u + 3u, lastRow) * K4;
    for (var k4 = 0u; k4 < K4; k4++) {
      let la0 = A[ra0 + k4];
      let la1 = A[ra1 + k4];
      let la2 = A[ra2 + k4];
      let la3 = A[ra3 + k4];
      let kb = bBase + k4 * 4u * N4;
      let b0 = B[kb];
      let b1 = B[kb + 1u * N4];
      let b2 = B[kb + 2u * N4];
      let b3 = B[kb + 3u * N4];
      let a0 = subgroupBroadcast(la0, 0u);
      let a1 = subgroupBroadcast(la1, 0u);
      let a2 = subgroupBroadcast(la2, 0u);
      let a3 = subgroupBroadcast(la3, 0u);
      let a4 = subgroupBroadcast(la0, 1u);
      let a5 = subgroupBroadcast(la1, 1u);
      let a6 = subgroupBroadcast(la2, 1u);
      let a7 = subgroupBroadcast(la3, 1u);
      let a8 = subgroupBroadcast(la0, 2u);
      let a9 = subgroupBroadcast(la1, 2u);
      let a10 = subgroupBroadcast(la2, 2u);
      let a11 = subgroupBroadcast(la3, 2u);
      let a12 = subgroupBroadcast(la0, 3u);
      let a13 = subgroupBroadcast(la1, 3u);
      let a14 = subgroupBroadcast(la2, 3u);
      let a15 = subgroupBroadcast(la3, 3u);
      acc0 = fma(vec4f(a0.x), b0, acc0);
      acc1 = fma(vec4f(a1.x), b0, acc1);
      acc2 = fma(vec4f(a2.x), b0, acc2);
      acc3 = fma(vec4f(a3.x), b0, acc3);
      acc4 = fma(vec4f(a4.x), b0, acc4);
      acc5 = fma(vec4f(a5.x), b0, acc5);
      acc6 = fma(vec4f(a6.x), b0, acc6);
      acc7 = fma(vec4f(a7.x), b0, acc7);
      acc8 = fma(vec4f(a8.x), b0, acc8);
      acc9 = fma(vec4f(a9.x), b0, acc9);
      acc10 = fma(vec4f(a10.x), b0, acc10);
      acc11 = fma(vec4f(a11.x), b0, acc11);
      acc12 = fma(vec4f(a12.x), b0, acc12);
      acc13 = fma(vec4f(a13.x), b0, acc13);
      acc14 = fma(vec4f(a14.x), b0, acc14);
      acc15 = fma(vec4f(a15.x), b0, acc15);
      acc0 = fma(vec4f(a0.y), b1, acc0);
      acc1 = fma(vec4f(a1.y), b1, acc1);
      acc2 = fma(vec4f(a2.y), b1, acc2);
      acc3 = fma(vec4f(a3.y), b1, acc3);
      acc4 = fma(vec4f(a4.y), b1, acc4);
      acc5 = fma(vec4f(a5.y), b1, acc5);
      acc6 = fma(vec4f(a6.y), b1, acc6);
      acc7 = fma(vec4f(a7.y), b1, acc7);
      acc8 = fma(vec4f(a8.y), b1, acc8);
      acc9 = fma(vec4f(a9.y), b1, acc9);
      acc10 = fma(vec4f(a10.y), b1, acc10);
      acc11 = fma(vec4f(a11.y), b1, acc11);
      acc12 = fma(vec4f(a12.y), b1, acc12);
      acc13 = fma(vec4f(a13.y), b1, acc13);
      acc14 = fma(vec4f(a14.y), b1, acc14);
      acc15 = fma(vec4f(a15.y), b1, acc15);
      acc0 = fma(vec4f(a0.z), b2, acc0);
      acc1 = fma(vec4f(a1.z), b2, acc1);
      acc2 = fma(vec4f(a2.z), b2, acc2);
      acc3 = fma(vec4f(a3.z), b2, acc3);
      acc4 = fma(vec4f(a4.z), b2, acc4);
      acc5 = fma(vec4f(a5.z), b2, acc5);
      acc6 = fma(vec4f(a6.z), b2, acc6);
      acc7 = fma(vec4f(a7.z), b2, acc7);
      acc8 = fma(vec4f(a8.z), b2, acc8);
      acc9 = fma(vec4f(a9.z), b2, acc9);
      acc10 = fma(vec4f(a10.z), b2, acc10);
      acc11 = fma(vec4f(a11.z), b2, acc11);
      acc12 = fma(vec4f(a12.z), b2, acc12);
      acc13 = fma(vec4f(a13.z), b2, acc13);
      acc14 = fma(vec4f(a14.z), b2, acc14);
      acc15 = fma(vec4f(a15.z), b2, acc15);
      acc0 = fma(vec4f(a0.w), b3, acc0);
      acc1 = fma(vec4f(a1.w), b3, acc1);
      acc2 = fma(vec4f(a2.w), b3, acc2);
      acc3 = fma(vec4f(a3.w), b3, acc3);
      acc4 = fma(vec4f(a4.w), b3, acc4);
      acc5 = fma(vec4f(a5.w), b3, acc5);
      acc6 = fma(vec4f(a6.w), b3, acc6);
      acc7 = fma(vec4f(a7.w), b3, acc7);
      acc8 = fma(vec4f(a8.w), b3, acc8);
      acc9 = fma(vec4f(a9.w), b3, acc9);
      acc10 = fma(vec4f(a10.w), b3, acc10);
      acc11 = fma(vec4f(a11.w), b3, acc11);
      acc12 = fma(vec4f(a12.w), b3, acc12);
      acc13 = fma(vec4f(a13.w), b3, acc13);
      acc14 = fma(vec4f(a14.w), b3, acc14);
      acc15 = fma(vec4f(a15.w), b3, acc15);
    }
  } else {
    let rb0 = aBase + min(r0 + 0u, lastRow) * K4;
    let rb1 = aBase + min(r0 + 1u, lastRow) * K4;
    let rb2 = aBase + min(r0 + 2u, lastRow) * K4;
    let rb3 = aBase + min(r0 + 3u, lastRow) * K4;
    let rb4 = aBase + min(r0 + 4u, lastRow) * K4;
    let rb5 = aBase + min(r0 + 5u, lastRow) * K4;
    let rb6 = aBase + min(r0 + 6u, lastRow) * K4;
    let rb7 = aBase + min(r0 + 7u, lastRow) * K4;
    let rb8 = aBase + min(r0 + 8u, lastRow) * K4;
    let rb9 = aBase + min(r0 + 9u, lastRow) * K4;
    let rb10 = aBase + min(r0 + 10u, lastRow) * K4;
    let rb11 = aBase + min(r0 + 11u, lastRow) * K4;
    let rb12 = aBase + min(r0 + 12u, lastRow) * K4;
    let rb13 = aBase + min(r0 + 13u, lastRow) * K4;
    let rb14 = aBase + min(r0 + 14u, lastRow) * K4;
    let rb15 = aBase + min(r0 + 15u, lastRow) * K4;
    for (var k4 = 0u; k4 < K4; k4++) {
      let kb = bBase + k4 * 4u * N4;
      let b0 = B[kb];
      let b1 = B[kb + 1u * N4];
      let b2 = B[kb + 2u * N4];
      let b3 = B[kb + 3u * N4];
      let a0 = A[rb0 + k4];
      acc0 = fma(vec4f(a0.x), b0, fma(vec4f(a0.y), b1, fma(vec4f(a0.z), b2, fma(vec4f(a0.w), b3, acc0))));
      let a1 = A[rb1 + k4];
      acc1 = fma(vec4f(a1.x), b0, fma(vec4f(a1.y), b1, fma(vec4f(a1.z), b2, fma(vec4f(a1.w), b3, acc1))));
      let a2 = A[rb2 + k4];
      acc2 = fma(vec4f(a2.x), b0, fma(vec4f(a2.y), b1, fma(vec4f(a2.z), b2, fma(vec4f(a2.w), b3, acc2))));
      let a3 = A[rb3 + k4];
      acc3 = fma(vec4f(a3.x), b0, fma(vec4f(a3.y), b1, fma(vec4f(a3.z), b2, fma(vec4f(a3.w), b3, acc3))));
      let a4 = A[rb4 + k4];
      acc4 = fma(vec4f(a4.x), b0, fma(vec4f(a4.y), b1, fma(vec4f(a4.z), b2, fma(vec4f(a4.w), b3, acc4))));
      let a5 = A[rb5 + k4];
      acc5 = fma(vec4f(a5.x), b0, fma(vec4f(a5.y), b1, fma(vec4f(a5.z), b2, fma(vec4f(a5.w), b3, acc5))));
      let a6 = A[rb6 + k4];
      acc6 = fma(vec4f(a6.x), b0, fma(vec4f(a6.y), b1, fma(vec4f(a6.z), b2, fma(vec4f(a6.w), b3, acc6))));
      let a7 = A[rb7 + k4];
      acc7 = fma(vec4f(a7.x), b0, fma(vec4f(a7.y), b1, fma(vec4f(a7.z), b2, fma(vec4f(a7.w), b3, acc7))));
      let a8 = A[rb8 + k4];
      acc8 = fma(vec4f(a8.x), b0, fma(vec4f(a8.y), b1, fma(vec4f(a8.z), b2, fma(vec4f(a8.w), b3, acc8))));
      let a9 = A[rb9 + k4];
      acc9 = fma(vec4f(a9.x), b0, fma(vec4f(a9.y), b1, fma(vec4f(a9.z), b2, fma(vec4f(a9.w), b3, acc9))));
      let a10 = A[rb10 + k4];
      acc10 = fma(vec4f(a10.x), b0, fma(vec4f(a10.y), b1, fma(vec4f(a10.z), b2, fma(vec4f(a10.w), b3, acc10))));
      let a11 = A[rb11 + k4];
      acc11 = fma(vec4f(a11.x), b0, fma(vec4f(a11.y), b1, fma(vec4f(a11.z), b2, fma(vec4f(a11.w), b3, acc11))));
      let a12 = A[rb12 + k4];
      acc12 = fma(vec4f(a12.x), b0, fma(vec4f(a12.y), b1, fma(vec4f(a12.z), b2, fma(vec4f(a12.w), b3, acc12))));
      let a13 = A[rb13 + k4];
      acc13 = fma(vec4f(a13.x), b0, fma(vec4f(a13.y), b1, fma(vec4f(a13.z), b2, fma(vec4f(a13.w), b3, acc13))));
      let a14 = A[rb14 + k4];
      acc14 = fma(vec4f(a14.x), b0, fma(vec4f(a14.y), b1, fma(vec4f(a14.z), b2, fma(vec4f(a14.w), b3, acc14))));
      let a15 = A[rb15 + k4];
      acc15 = fma(vec4f(a15.x), b0, fma(vec4f(a15.y), b1, fma(vec4f(a15.z), b2, fma(vec4f(a15.w), b3, acc15))));
    }
  }
  if (g.x >= N4) { return; }
  // One loop so the activation is emitted once (SwiftShader inlines every call site).
  var acc = array<vec4f, 16>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7, acc8, acc9, acc10, acc11, acc12, acc13, acc14, acc15);
  for (var i = 0u; i < 16u; i++) {
    let r = r0 + i;
    if (r >= p.M) { break; }
    C[cBase + r * N4 + g.x] = epilogue(acc[i], g.x);
  }
}
