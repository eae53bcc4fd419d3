// 2-D max / average pooling, NCHW. Each invocation produces up to SEG consecutive outputs of one
// output row, so the divisions that decode its position are paid once per segment rather than
// once per output (on CPU-backed adapters they dominated the per-element kernel). Invocations
// are folded into a 2-D grid.
//
// MODE 0 (max): taps in the padding are ignored, as if they held -inf; the op requires padding
// <= kernel / 2 so every window has at least one real tap. NaN handling follows WGSL max(),
// which is implementation-defined: inputs with NaN have no defined result.
// MODE 1 (avg): the sum over real taps divided by their count, i.e. padding is excluded from
// the average (PyTorch's count_include_pad=False), so border outputs are not biased toward 0.

struct Params {
  NC: u32, H: u32, W: u32, OH: u32,
  OW: u32, KH: u32, KW: u32, SH: u32,
  SW: u32, PH: u32, PW: u32, segments: u32,
}

const SEG = 16u;

override WG: u32 = 64u;
override MODE: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let idx = g.x + g.y * nw.x * WG;
  if (idx >= p.segments) { return; }
  let perRow = (p.OW + SEG - 1u) / SEG;
  let ow0 = (idx % perRow) * SEG;
  let row = idx / perRow;
  let oh = row % p.OH;
  let nc = row / p.OH;
  // Clip the window rows to the input once; columns are clipped per output below.
  let ih0 = i32(oh * p.SH) - i32(p.PH);
  let h0 = u32(max(ih0, 0));
  let h1 = u32(min(ih0 + i32(p.KH), i32(p.H)));
  let base = nc * p.H * p.W;
  let out = row * p.OW;
  let ow1 = min(ow0 + SEG, p.OW);
  for (var ow = ow0; ow < ow1; ow++) {
    let iw0 = i32(ow * p.SW) - i32(p.PW);
    let w0 = u32(max(iw0, 0));
    let w1 = u32(min(iw0 + i32(p.KW), i32(p.W)));
    if (MODE == 0u) {
      var m = x[base + h0 * p.W + w0];
      for (var h = h0; h < h1; h++) {
        for (var w = w0; w < w1; w++) { m = max(m, x[base + h * p.W + w]); }
      }
      y[out + ow] = m;
    } else {
      var s = 0.0;
      for (var h = h0; h < h1; h++) {
        for (var w = w0; w < w1; w++) { s += x[base + h * p.W + w]; }
      }
      y[out + ow] = s / f32((h1 - h0) * (w1 - w0));
    }
  }
}
