// Workgroup-memory tiled matmul: C[b] = act(A[b] x B[b] + bias), any M, N, K.
//
// The classic GPU kernel: a 16x16 workgroup computes a 64x64 tile of C, staging 64x16 slices of
// A and 16x64 slices of B in workgroup memory so each global value is read once per tile instead
// of once per output; each invocation accumulates a 4x4 block strided by 16 so neighbouring
// invocations touch neighbouring addresses (coalesced global loads, conflict-free shared reads).
// On real GPUs this wins; on CPU-backed adapters the two barriers per K-slice cost more than the
// loads they save, which is why matmul_reg exists and the autotuner chooses per adapter.
//
// Out-of-range rows, columns and K are zero-filled in the tiles, so no shape needs padding.

struct Params {
  M: u32, N: u32, K: u32, batchOffset: u32,
  aBatch: u32, bBatch: u32, cBatch: u32, rowOffset: u32,
}

override ACT: u32 = 0u;
override HAS_BIAS: bool = false;

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

const BM = 64u;
const BN = 64u;
const BK = 16u;

var<workgroup> As: array<f32, 1024>; // [BK][BM]
var<workgroup> Bs: array<f32, 1024>; // [BK][BN]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) w: vec3u, @builtin(local_invocation_id) l: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let batch = w.z + p.batchOffset;
  let aBase = batch * p.aBatch;
  let bBase = batch * p.bBatch;
  let cBase = batch * p.cBatch;
  let rowBase = w.y * BM + p.rowOffset;
  let colBase = w.x * BN;

  // acc_i holds row l.y + 16 i, columns l.x + 16 j in component j. Plain vec4 variables rather
  // than a private 4x4 array: CPU backends keep them in registers and compile them far faster.
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);

  for (var kt = 0u; kt < p.K; kt += BK) {
    for (var t = 0u; t < 4u; t++) {
      let e = li + t * 256u;
      // A slice: 64 rows x 16 k, read along k.
      let am = e / BK;
      let ak = e % BK;
      let ar = rowBase + am;
      let akk = kt + ak;
      var av = 0.0;
      if (ar < p.M && akk < p.K) { av = A[aBase + ar * p.K + akk]; }
      As[ak * BM + am] = av;
      // B slice: 16 k x 64 columns, read along columns.
      let bk = e / BN;
      let bn = e % BN;
      let bkk = kt + bk;
      let bc = colBase + bn;
      var bv = 0.0;
      if (bkk < p.K && bc < p.N) { bv = B[bBase + bkk * p.N + bc]; }
      Bs[bk * BN + bn] = bv;
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      let ao = k * BM + l.y;
      let bo = k * BN + l.x;
      let b = vec4f(Bs[bo], Bs[bo + 16u], Bs[bo + 32u], Bs[bo + 48u]);
      acc0 = fma(vec4f(As[ao]), b, acc0);
      acc1 = fma(vec4f(As[ao + 16u]), b, acc1);
      acc2 = fma(vec4f(As[ao + 32u]), b, acc2);
      acc3 = fma(vec4f(As[ao + 48u]), b, acc3);
    }
    workgroupBarrier();
  }

  var acc = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let r = rowBase + l.y + 16u * i;
    if (r >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let c = colBase + l.x + 16u * j;
      if (c >= p.N) { break; }
      var v = acc[i][j];
      if (HAS_BIAS) { v += bias[c]; }
      C[cBase + r * p.N + c] = act_apply(v, ACT);
    }
  }
}
