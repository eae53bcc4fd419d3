// Shared activations, prepended by src/gpu/kernels.ts to every kernel that fuses one, so that a
// fused GELU in a matmul and the standalone gelu op round identically.
//
// ids: 0 none, 1 relu, 2 gelu (tanh approximation), 3 silu. `ACT` is an override in each kernel,
// so the switch folds away when the pipeline is specialised.

// GELU, tanh approximation (Hendrycks & Gimpel; what GPT-2 and BERT ship with):
//   0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
// The argument is clamped to +-15 because some tanh lowerings compute (e^2z - 1)/(e^2z + 1),
// which is inf/inf = NaN for large z; tanh(15) is 1 in f32, so the clamp changes nothing else.
fn act_gelu(x: f32) -> f32 {
  let z = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1.0 + tanh(clamp(z, -15.0, 15.0)));
}

// x * sigmoid(x). For x < -88, exp(-x) is inf and the result is -0, the correct limit.
fn act_silu(x: f32) -> f32 {
  return x / (1.0 + exp(-x));
}

fn act_apply(x: f32, id: u32) -> f32 {
  switch id {
    case 1u: { return max(x, 0.0); }
    case 2u: { return act_gelu(x); }
    case 3u: { return act_silu(x); }
    default: { return x; }
  }
}

fn act_apply4(v: vec4f, id: u32) -> vec4f {
  switch id {
    case 1u: { return max(v, vec4f(0.0)); }
    case 2u: { return vec4f(act_gelu(v.x), act_gelu(v.y), act_gelu(v.z), act_gelu(v.w)); }
    case 3u: { return v / (vec4f(1.0) + exp(-v)); }
    default: { return v; }
  }
}
