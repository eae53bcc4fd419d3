import { describe, expect, it } from 'vitest';
import { InvalidJobSpecError } from './errors.ts';
import { validateJobSpec } from './validate-job-spec.ts';
import type { JobSpec } from './types.ts';

const SAMPLE = 784;
function good(samples = 3): JobSpec {
  return {
    model: { url: '/models/digits-cnn/manifest.json' },
    inputs: new Float32Array(samples * SAMPLE).fill(0.5),
    samples,
    unitSize: 2,
    replication: 2,
    pricePerUnit: 10n ** 15n,
    spotCheck: 0.25,
    deadlineMs: 60_000,
    labels: new Uint8Array(samples),
  };
}

/** Calls validateJobSpec on `spec` and returns the InvalidJobSpecError it threw (fails if none). */
function rejectionOf(spec: unknown): InvalidJobSpecError {
  try {
    validateJobSpec(spec);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidJobSpecError);
    expect((e as Error).name).toBe('InvalidJobSpecError');
    return e as InvalidJobSpecError;
  }
  throw new Error(`validateJobSpec accepted ${String(spec)}`);
}

describe('validateJobSpec', () => {
  it('accepts a full valid spec and returns the same values, sharing the arrays', () => {
    const spec = good();
    const out = validateJobSpec(spec);
    expect(out).toEqual(spec);
    expect(out.inputs).toBe(spec.inputs);
    expect(out.labels).toBe(spec.labels);
  });

  it('accepts the minimal spec and the bounds of every range', () => {
    const min = { model: { url: 'm.json' }, inputs: new Float32Array(1), samples: 1 };
    expect(validateJobSpec(min)).toEqual(min);
    for (const extra of [
      { unitSize: 1 }, { unitSize: 65_536 }, { replication: 1 }, { replication: 16 }, { spotCheck: 0 }, { spotCheck: 1 },
      { pricePerUnit: 0n }, { pricePerUnit: 2n ** 64n - 1n }, { deadlineMs: 1 }, { deadlineMs: 7 * 24 * 3600_000 },
      { unitSize: undefined, labels: undefined },
    ]) {
      expect(() => validateJobSpec({ ...min, ...extra }), JSON.stringify(extra, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))).not.toThrow();
    }
    const big = { model: { url: 'm.json' }, inputs: new Float32Array(1_000_000), samples: 1_000_000 };
    expect(validateJobSpec(big).samples).toBe(1_000_000);
  });

  const bad: [field: string, patch: Record<string, unknown>][] = [
    ['model', { model: undefined }],
    ['model', { model: 'm.json' }],
    ['model', { model: null }],
    ['model.url', { model: {} }],
    ['model.url', { model: { url: 42 } }],
    ['model.url', { model: { url: '  ' } }],
    ['model.url', { model: { url: 'x'.repeat(2049) } }],
    ['samples', { samples: undefined }],
    ['samples', { samples: 0 }],
    ['samples', { samples: 1.5 }],
    ['samples', { samples: 1_000_001 }],
    ['samples', { samples: '3' }],
    ['samples', { samples: NaN }],
    ['inputs', { inputs: undefined }],
    ['inputs', { inputs: Array.from({ length: 3 * SAMPLE }, () => 0) }],
    ['inputs', { inputs: new Float64Array(3 * SAMPLE) }],
    ['inputs', { inputs: new Float32Array(0) }],
    ['inputs', { inputs: new Float32Array(3 * SAMPLE + 1) }],
    ['inputs', { inputs: new Float32Array(2) }],
    ['inputs', { inputs: Float32Array.of(...new Array<number>(3 * SAMPLE - 1).fill(0), NaN) }],
    ['inputs', { inputs: Float32Array.of(Infinity, 0, 0) }],
    ['unitSize', { unitSize: 0 }],
    ['unitSize', { unitSize: 65_537 }],
    ['unitSize', { unitSize: 2.5 }],
    ['unitSize', { unitSize: null }],
    ['replication', { replication: 0 }],
    ['replication', { replication: 17 }],
    ['replication', { replication: 1.5 }],
    ['replication', { replication: '2' }],
    ['spotCheck', { spotCheck: -0.01 }],
    ['spotCheck', { spotCheck: 1.01 }],
    ['spotCheck', { spotCheck: NaN }],
    ['spotCheck', { spotCheck: '0.5' }],
    ['pricePerUnit', { pricePerUnit: 1000 }],
    ['pricePerUnit', { pricePerUnit: -1n }],
    ['pricePerUnit', { pricePerUnit: 2n ** 64n }],
    ['pricePerUnit', { pricePerUnit: '1000' }],
    ['deadlineMs', { deadlineMs: 0 }],
    ['deadlineMs', { deadlineMs: -5 }],
    ['deadlineMs', { deadlineMs: Infinity }],
    ['deadlineMs', { deadlineMs: NaN }],
    ['deadlineMs', { deadlineMs: 1.5 }],
    ['deadlineMs', { deadlineMs: 7 * 24 * 3600_000 + 1 }],
    ['labels', { labels: new Uint8Array(2) }],
    ['labels', { labels: new Uint8Array(4) }],
    ['labels', { labels: [0, 1, 2] }],
    ['labels', { labels: new Int8Array(3) }],
    ['replicas', { replicas: 3 }],
  ];
  it.each(bad)('names %s when it is wrong (%o)', (field, patch) => {
    const err = rejectionOf({ ...good(), ...patch });
    expect(err.field).toBe(field);
    expect(err.message).toContain(field);
  });

  it('names spec when the spec is not an object', () => {
    for (const s of [undefined, null, 42, 'spec', [good()]]) expect(rejectionOf(s).field).toBe('spec');
  });

  it('reports the first bad field only, without touching the inputs', () => {
    const spec = { ...good(), replication: 0, spotCheck: 2 };
    const before = spec.inputs.slice();
    expect(rejectionOf(spec).field).toBe('replication');
    expect(spec.inputs).toEqual(before);
  });
});
