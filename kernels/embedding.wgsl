// Embedding gather: y[r, :] = table[ids[r], :] for a table [V, D]; one output element per
// invocation, folded into a 2-D grid. An id outside [0, V) (negative when SIGNED, i.e. the ids
// are i32) writes a row of zeros rather than reading another row or trapping: ids come from
// outside (tokenizers, requests), and a zero row is a visible, deterministic result that every
// implementation and the CPU reference agree on.

struct Params { n: u32, D: u32, V: u32, pad0: u32 }

override WG: u32 = 64u;
override SIGNED: bool = false;

@group(0) @binding(0) var<storage, read> table: array<f32>;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * WG;
  if (i >= p.n) { return; }
  let r = i / p.D;
  let c = i % p.D;
  let raw = ids[r];
  var ok = raw < p.V;
  if (SIGNED) { ok = ok && bitcast<i32>(raw) >= 0; }
  var v = 0.0;
  if (ok) { v = table[raw * p.D + c]; }
  y[i] = v;
}
