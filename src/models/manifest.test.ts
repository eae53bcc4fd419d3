import { describe, expect, it } from 'vitest';
import { MANIFEST_LIMITS, parseManifest } from './manifest.ts';

const HASH = 'a'.repeat(64);

/** A valid manifest; tests break one field at a time. */
function valid(): Record<string, any> {
  return {
    format: 'tabmesh-model/1',
    name: 'digits-cnn',
    version: '1.0.0',
    architecture: 'digits-cnn',
    input: { shape: [1, 28, 28], dtype: 'f32', scale: 'pixel/255' },
    labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    config: { conv1Kernel: 5, layout: 'NCHW', bias: true, sizes: [8, 16] },
    files: [{ path: 'weights.safetensors', bytes: 4096, sha256: HASH }],
    tensors: {
      'conv1.weight': { file: 'weights.safetensors', dtype: 'F32', shape: [8, 1, 5, 5] },
      'conv1.bias': { file: 'weights.safetensors', dtype: 'F16', shape: [8] },
    },
    training: { seed: 1, trainSamples: 8000, heldOutSamples: 2000, epochs: 15, heldOutAccuracy: 0.985, optimizer: 'adamw' },
  };
}

function expectInvalid(mutate: (m: Record<string, any>) => void, message: RegExp | string): void {
  const m = valid();
  mutate(m);
  let error: Error | undefined;
  try {
    parseManifest(m);
  } catch (err) {
    error = err as Error;
  }
  expect(error, 'parseManifest accepted an invalid manifest').toBeDefined();
  expect(error?.name).toBe('InvalidManifestError');
  if (typeof message === 'string') expect(error?.message).toBe(message);
  else expect(error?.message).toMatch(message);
}

describe('parseManifest', () => {
  it('accepts a valid manifest and returns an equal, independent copy', () => {
    const input = valid();
    const m = parseManifest(input);
    expect(m).toEqual(input);
    input['tensors']['conv1.weight'].shape[0] = 99;
    expect(m.tensors['conv1.weight']?.shape).toEqual([8, 1, 5, 5]);
    expect(parseManifest(m)).toEqual(m); // idempotent on its own output
  });

  it('accepts a manifest round-tripped through JSON text', () => {
    expect(parseManifest(JSON.parse(JSON.stringify(valid()))).name).toBe('digits-cnn');
  });

  it('names the exact field, as in the design note', () => {
    expectInvalid((m) => (m['tensors']['conv1.weight'].shape[2] = 0), 'manifest.tensors["conv1.weight"].shape[2] must be a positive integer, got 0');
  });

  it('rejects unknown formats and non-objects', () => {
    expectInvalid((m) => (m['format'] = 'tabmesh-model/2'), /^manifest\.format must be "tabmesh-model\/1", got "tabmesh-model\/2"/);
    expectInvalid((m) => delete m['format'], /^manifest\.format must be/);
    expect(() => parseManifest(null)).toThrow(/^manifest must be an object, got null/);
    expect(() => parseManifest([valid()])).toThrow(/^manifest must be an object/);
    expect(() => parseManifest(new (class Fake { format = 'tabmesh-model/1' })())).toThrow(/^manifest must be an object/);
  });

  it('rejects unknown top-level fields and unknown nested fields', () => {
    expectInvalid((m) => (m['weights'] = 'x'), /^manifest\["weights"\] is not a known manifest field/);
    expectInvalid((m) => (m['files'][0].mirror = 'x'), /^manifest\.files\[0\]\["mirror"\] is not a known field/);
    expectInvalid((m) => (m['tensors']['conv1.bias'].offset = 0), /^manifest\.tensors\["conv1\.bias"\]\["offset"\] is not a known field/);
  });

  it('checks name, version, architecture and input', () => {
    expectInvalid((m) => (m['name'] = ''), /^manifest\.name must be a non-empty string/);
    expectInvalid((m) => (m['name'] = 'x'.repeat(257)), /^manifest\.name must be a non-empty string of at most 256/);
    expectInvalid((m) => (m['version'] = 'a\nb'), /^manifest\.version must not contain control characters/);
    expectInvalid((m) => (m['architecture'] = 'gpt2'), /^manifest\.architecture must be one of digits-cnn, got "gpt2"/);
    expectInvalid((m) => (m['input'].shape = [1, 28.5, 28]), /^manifest\.input\.shape\[1\] must be a positive integer, got 28\.5/);
    expectInvalid((m) => (m['input'].shape = [1, -28, 28]), /^manifest\.input\.shape\[1\] must be a positive integer/);
    expectInvalid((m) => (m['input'].dtype = 'f16'), /^manifest\.input\.dtype must be "f32"/);
    expectInvalid((m) => (m['input'].scale = 7), /^manifest\.input\.scale must be a non-empty string/);
    expectInvalid((m) => (m['labels'] = ['0', 1]), /^manifest\.labels\[1\] must be a non-empty string/);
  });

  it('checks config values', () => {
    expectInvalid((m) => (m['config'].nested = { a: 1 }), /^manifest\.config\["nested"\] must be a number, string, boolean or array of numbers/);
    expectInvalid((m) => (m['config'].bad = Number.NaN), /^manifest\.config\["bad"\] must be a finite number/);
    expectInvalid((m) => (m['config'].list = [1, '2']), /^manifest\.config\["list"\]\[1\] must be a finite number/);
    expectInvalid((m) => (m['config'] = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, i]))), /^manifest\.config has 257 entries, above the limit of 256/);
  });

  it('refuses path traversal and anything but plain relative paths', () => {
    const bad = ['../weights.safetensors', 'a/../../etc/passwd', '/etc/passwd', './weights.safetensors', 'a//b', 'a/', 'a\\..\\b', 'https://evil.example/w', '%2e%2e/w', 'C:weights', 'w?x=1', 'w#frag', 'wéights', ''];
    for (const path of bad) {
      expectInvalid((m) => {
        m['files'][0].path = path;
        m['tensors']['conv1.weight'].file = path;
        m['tensors']['conv1.bias'].file = path;
      }, /^manifest\.files\[0\]\.path (must|may only)/);
    }
    // Nested relative paths are fine.
    const m = valid();
    m['files'][0].path = 'shards/part-0.safetensors';
    m['tensors']['conv1.weight'].file = m['tensors']['conv1.bias'].file = 'shards/part-0.safetensors';
    expect(parseManifest(m).files[0]?.path).toBe('shards/part-0.safetensors');
  });

  it('checks files: bytes, sha256, duplicates, count and total size', () => {
    expectInvalid((m) => (m['files'][0].bytes = 0), /^manifest\.files\[0\]\.bytes must be a positive integer, got 0/);
    expectInvalid((m) => (m['files'][0].bytes = '4096'), /^manifest\.files\[0\]\.bytes must be a positive integer/);
    expectInvalid((m) => (m['files'][0].sha256 = 'A'.repeat(64)), /^manifest\.files\[0\]\.sha256 must be 64 lowercase hex digits/);
    expectInvalid((m) => (m['files'][0].sha256 = 'a'.repeat(63)), /^manifest\.files\[0\]\.sha256 must be 64 lowercase hex digits/);
    expectInvalid((m) => m['files'].push({ ...m['files'][0] }), /^manifest\.files\[1\]\.path "weights\.safetensors" is listed twice/);
    expectInvalid((m) => (m['files'] = []), /^manifest\.files must list at least one file/);
    expectInvalid(
      (m) => (m['files'] = Array.from({ length: MANIFEST_LIMITS.maxFiles + 1 }, (_, i) => ({ path: `f${i}`, bytes: 1, sha256: HASH }))),
      /^manifest\.files has 65 entries, above the limit of 64/,
    );
    expectInvalid(
      (m) => m['files'].push({ path: 'big.bin', bytes: MANIFEST_LIMITS.maxTotalBytes, sha256: HASH }),
      /^manifest\.files\[1\]\.bytes brings the model to \d+ bytes, above the limit of 536870912/,
    );
  });

  it('checks tensors: file reference, dtype, shape, rank, count, names, byte budget', () => {
    expectInvalid((m) => (m['tensors']['conv1.bias'].file = 'other.safetensors'), /^manifest\.tensors\["conv1\.bias"\]\.file must be one of the files\[\]\.path, got "other\.safetensors"/);
    expectInvalid((m) => (m['tensors']['conv1.bias'].dtype = 'F64'), /^manifest\.tensors\["conv1\.bias"\]\.dtype must be one of F32, F16, BF16, got "F64"/);
    expectInvalid((m) => (m['tensors']['conv1.bias'].shape = 8), /^manifest\.tensors\["conv1\.bias"\]\.shape must be an array/);
    expectInvalid((m) => (m['tensors']['conv1.bias'].shape = [1, 1, 1, 1, 1, 1, 1, 1, 8]), /^manifest\.tensors\["conv1\.bias"\]\.shape has 9 entries, above the limit of 8/);
    expectInvalid((m) => (m['tensors']['conv1.bias'].shape = [2 ** 20, 2 ** 20]), /^manifest\.tensors\["conv1\.bias"\]\.shape has more elements than a model may hold/);
    expectInvalid((m) => (m['tensors']['conv1.bias'].shape = [2048]), /^manifest\.tensors\["conv1\.bias"\]\.shape needs more bytes than "weights\.safetensors" has \(4096\)/);
    expectInvalid((m) => (m['tensors'] = {}), /^manifest\.tensors must declare at least one tensor/);
    expectInvalid((m) => (m['tensors']['x'.repeat(257)] = { ...m['tensors']['conv1.bias'] }), /^manifest\.tensors\["x+\.\.\."\] name must be 1 to 256 characters/);
    expectInvalid((m) => {
      m['files'][0].bytes = 10_000_000;
      for (let i = 0; i <= MANIFEST_LIMITS.maxTensors; i++) m['tensors'][`t${i}`] = { file: 'weights.safetensors', dtype: 'F32', shape: [1] };
    }, /^manifest\.tensors has \d+ tensors, above the limit of 4096/);
  });

  it('checks the training record', () => {
    expectInvalid((m) => (m['training'].heldOutAccuracy = 1.5), /^manifest\.training\.heldOutAccuracy must be a number in \[0, 1\], got 1\.5/);
    expectInvalid((m) => (m['training'].seed = -1), /^manifest\.training\.seed must be a non-negative integer, got -1/);
    expectInvalid((m) => delete m['training'].epochs, /^manifest\.training\.epochs must be a non-negative integer, got undefined/);
    expectInvalid((m) => (m['training'].notes = { a: 1 }), /^manifest\.training\["notes"\] must be a number, string, boolean or array of numbers/);
    expectInvalid((m) => (m['training'].heldOutDataset = 'x'), /^manifest\.training\.heldOutDataset must be an object/);
    expectInvalid(
      (m) => (m['training'].heldOutDataset = { url: '/datasets/../../secret', bytes: 10, sha256: HASH }),
      /^manifest\.training\.heldOutDataset\.url must be a site-root path/,
    );
    const m = valid();
    m['training'].heldOutDataset = { url: '/datasets/mnist-heldout.safetensors', bytes: 10, sha256: HASH };
    expect(parseManifest(m).training?.heldOutDataset?.url).toBe('/datasets/mnist-heldout.safetensors');
    const noTraining = valid();
    delete noTraining['training'];
    expect(parseManifest(noTraining).training).toBeUndefined();
  });

  it('keeps "__proto__" keys as plain data without touching any prototype', () => {
    const m = JSON.parse(JSON.stringify(valid()).replace('"conv1Kernel"', '"__proto__"'));
    const parsed = parseManifest(m);
    expect(Object.getOwnPropertyDescriptor(parsed.config, '__proto__')?.value).toBe(5);
    expect(({} as Record<string, unknown>)['layout']).toBeUndefined();
  });
});
