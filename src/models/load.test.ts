import { describe, expect, it } from 'vitest';
import { loadModel, sha256Hex, type FetchFile } from './load.ts';
import { float32ToFloat16Bits, writeSafetensors, type SafetensorsInput } from './safetensors.ts';

const WEIGHTS: SafetensorsInput = {
  'conv1.weight': { dtype: 'F32', shape: [2, 1, 1, 2], data: new Float32Array([1, 2, 3, 4]) },
  'conv1.bias': { dtype: 'F16', shape: [2], data: float32ToFloat16Bits(new Float32Array([0.5, -1.5])) },
  'fc.weight': { dtype: 'BF16', shape: [2, 3], data: new Uint16Array([0x3f80, 0x4000, 0x4040, 0xbf80, 0, 0x3f00]) },
};

interface Fixture {
  manifest: Record<string, any>;
  files: Map<string, Uint8Array>;
}

/** A consistent manifest + files; `tensors` overrides what is written to the weights file. */
async function fixture(tensors: SafetensorsInput = WEIGHTS, extraFiles: Record<string, Uint8Array> = {}): Promise<Fixture> {
  const weights = writeSafetensors(tensors);
  const files = new Map<string, Uint8Array>([['weights.safetensors', weights], ...Object.entries(extraFiles)]);
  const manifest = {
    format: 'tabmesh-model/1',
    name: 'tiny',
    version: '0.0.1',
    architecture: 'digits-cnn',
    input: { shape: [1, 1, 2], dtype: 'f32', scale: 'pixel/255' },
    labels: ['a', 'b', 'c'],
    config: {},
    files: await Promise.all([...files].map(async ([path, bytes]) => ({ path, bytes: bytes.length, sha256: await sha256Hex(new Uint8Array(bytes)) }))),
    tensors: {
      'conv1.weight': { file: 'weights.safetensors', dtype: 'F32', shape: [2, 1, 1, 2] },
      'conv1.bias': { file: 'weights.safetensors', dtype: 'F16', shape: [2] },
      'fc.weight': { file: 'weights.safetensors', dtype: 'BF16', shape: [2, 3] },
    },
  };
  return { manifest, files };
}

function fromMap(files: Map<string, Uint8Array>, calls: string[] = []): FetchFile {
  return async (path) => {
    calls.push(path);
    const bytes = files.get(path);
    if (!bytes) throw new Error(`no such file ${path}`);
    return bytes;
  };
}

async function loadError(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('loadModel accepted a bad model');
}

describe('loadModel with a manifest and a file fetcher', () => {
  it('verifies and loads every tensor as f32, widening F16 and BF16', async () => {
    const { manifest, files } = await fixture();
    const model = await loadModel({ manifest, fetchFile: fromMap(files) });
    expect([...model.tensors.keys()].sort()).toEqual(['conv1.bias', 'conv1.weight', 'fc.weight']);
    expect(model.tensors.get('conv1.weight')).toEqual({ dtype: 'f32', shape: [2, 1, 1, 2], data: new Float32Array([1, 2, 3, 4]) });
    expect(model.tensors.get('conv1.bias')?.data).toEqual(new Float32Array([0.5, -1.5]));
    expect(model.tensors.get('fc.weight')?.data).toEqual(new Float32Array([1, 2, 3, -1, 0, 0.5]));
    expect(model.manifest.name).toBe('tiny');
  });

  it('returns verified non-tensor files as bytes', async () => {
    const vocab = new TextEncoder().encode('hello\nworld\n');
    const { manifest, files } = await fixture(WEIGHTS, { 'vocab.txt': vocab });
    const model = await loadModel({ manifest, fetchFile: fromMap(files) });
    expect(new TextDecoder().decode(model.files.get('vocab.txt'))).toBe('hello\nworld\n');
  });

  it('refuses a file whose hash differs, naming the file', async () => {
    const { manifest, files } = await fixture();
    const tampered = files.get('weights.safetensors')!.slice();
    tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1;
    files.set('weights.safetensors', tampered);
    const err = await loadError(loadModel({ manifest, fetchFile: fromMap(files) }));
    expect(err.name).toBe('WeightsHashMismatchError');
    expect(err.message).toMatch(/^model file "weights\.safetensors" has sha256 [0-9a-f]{64}, manifest says [0-9a-f]{64}$/);
  });

  it('refuses a file of the wrong length before hashing it', async () => {
    const { manifest, files } = await fixture();
    const longer = new Uint8Array(files.get('weights.safetensors')!.length + 1);
    files.set('weights.safetensors', longer);
    const err = await loadError(loadModel({ manifest, fetchFile: fromMap(files) }));
    expect(err.name).toBe('WeightsSizeMismatchError');
    expect(err.message).toMatch(/model file "weights\.safetensors" has \d+ bytes, manifest says \d+/);
  });

  it('refuses a tensor whose shape differs from the manifest (same byte count)', async () => {
    const { manifest, files } = await fixture();
    manifest['tensors']['fc.weight'].shape = [3, 2];
    const err = await loadError(loadModel({ manifest, fetchFile: fromMap(files) }));
    expect(err.name).toBe('TensorShapeMismatchError');
    expect(err.message).toBe('tensor "fc.weight" in "weights.safetensors" has shape [2,3], manifest says [3,2]');
  });

  it('refuses a tensor whose dtype differs from the manifest', async () => {
    const { manifest, files } = await fixture();
    manifest['tensors']['conv1.bias'].dtype = 'BF16';
    const err = await loadError(loadModel({ manifest, fetchFile: fromMap(files) }));
    expect(err.name).toBe('TensorDtypeMismatchError');
    expect(err.message).toMatch(/tensor "conv1\.bias" in "weights\.safetensors" has dtype F16, manifest says BF16/);
  });

  it('refuses a manifest tensor missing from the file', async () => {
    const { manifest, files } = await fixture();
    manifest['tensors']['fc2.weight'] = { file: 'weights.safetensors', dtype: 'F32', shape: [1] };
    const err = await loadError(loadModel({ manifest, fetchFile: fromMap(files) }));
    expect(err.name).toBe('MissingTensorError');
    expect(err.message).toMatch(/tensor "fc2\.weight" is declared in the manifest but missing from "weights\.safetensors"/);
  });

  it('refuses a file holding a tensor the manifest does not declare', async () => {
    const { manifest, files } = await fixture();
    delete manifest['tensors']['fc.weight'];
    const err = await loadError(loadModel({ manifest, fetchFile: fromMap(files) }));
    expect(err.name).toBe('UnexpectedTensorError');
    expect(err.message).toMatch(/file "weights\.safetensors" holds tensor "fc\.weight", which the manifest does not declare/);
  });

  it('refuses a malformed safetensors file even when its hash matches, naming the file', async () => {
    const junk = new Uint8Array(64);
    new DataView(junk.buffer).setBigUint64(0, 1000n, true);
    const { manifest, files } = await fixture();
    files.set('weights.safetensors', junk);
    manifest['files'][0] = { path: 'weights.safetensors', bytes: junk.length, sha256: await sha256Hex(junk) };
    manifest['tensors'] = { w: { file: 'weights.safetensors', dtype: 'F32', shape: [1] } };
    const err = await loadError(loadModel({ manifest, fetchFile: fromMap(files) }));
    expect(err.name).toBe('InvalidSafetensorsError');
    expect(err.message).toMatch(/^safetensors file "weights\.safetensors": header length is 1000 bytes, which points past the end/);
  });

  it('refuses a path-traversal manifest before fetching anything', async () => {
    const { manifest, files } = await fixture();
    manifest['files'][0].path = '../../etc/passwd';
    const calls: string[] = [];
    const err = await loadError(loadModel({ manifest, fetchFile: fromMap(files, calls) }));
    expect(err.name).toBe('InvalidManifestError');
    expect(err.message).toMatch(/^manifest\.files\[0\]\.path must not contain '\.' or '\.\.' segments/);
    expect(calls).toEqual([]);
  });

  it('wraps fetcher failures in ModelFetchError', async () => {
    const { manifest } = await fixture();
    const err = await loadError(loadModel({ manifest, fetchFile: async () => { throw new Error('peer went away'); } }));
    expect(err.name).toBe('ModelFetchError');
    expect(err.message).toBe('fetching "weights.safetensors" failed: peer went away');
  });

  it('hashes and parses its own copy of caller bytes (mutation after hand-over is harmless)', async () => {
    const { manifest, files } = await fixture();
    const bytes = files.get('weights.safetensors')!.slice();
    const model = loadModel({
      manifest,
      fetchFile: async () => {
        // Zero the caller's array while the loader is awaiting the digest.
        void Promise.resolve().then(() => Promise.resolve()).then(() => bytes.fill(0));
        return bytes;
      },
    });
    await expect(model).resolves.toMatchObject({ manifest: { name: 'tiny' } });
  });

  it('rejects with the abort reason when the signal is aborted', async () => {
    const { manifest, files } = await fixture();
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const err = await loadError(loadModel({ manifest, fetchFile: fromMap(files), signal: controller.signal }));
    expect(err.message).toBe('user cancelled');
  });
});

/** A fetch stub serving a fixture under https://models.example/m/, recording requested URLs. */
function server(files: Map<string, Uint8Array | Response>, requested: string[] = []) {
  return async (input: URL): Promise<Response> => {
    requested.push(input.href);
    const prefix = 'https://models.example/m/';
    const entry = input.href.startsWith(prefix) ? files.get(input.href.slice(prefix.length)) : undefined;
    if (entry === undefined) return new Response('not found', { status: 404, statusText: 'Not Found' });
    return entry instanceof Response ? entry : new Response(entry.slice());
  };
}

/** A body that yields `chunk` forever, counting pulls and noticing cancellation. */
function endlessBody(chunk: Uint8Array) {
  const state = { pulls: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulls++;
      controller.enqueue(chunk.slice());
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe('loadModel from a manifest URL', () => {
  async function served(): Promise<{ fixture: Fixture; files: Map<string, Uint8Array | Response>; manifestBytes: Uint8Array }> {
    const f = await fixture();
    const manifestBytes = new TextEncoder().encode(JSON.stringify(f.manifest));
    const files = new Map<string, Uint8Array | Response>([...f.files, ['manifest.json', manifestBytes]]);
    return { fixture: f, files, manifestBytes };
  }

  it('fetches the manifest, resolves files beside it, and reports the manifest hash', async () => {
    const { files, manifestBytes } = await served();
    const requested: string[] = [];
    const model = await loadModel({ manifestUrl: 'https://models.example/m/manifest.json', fetch: server(files, requested) });
    expect(requested).toEqual(['https://models.example/m/manifest.json', 'https://models.example/m/weights.safetensors']);
    expect(model.manifestSha256).toBe(await sha256Hex(new Uint8Array(manifestBytes)));
    expect(model.tensors.get('conv1.weight')?.data).toEqual(new Float32Array([1, 2, 3, 4]));
  });

  it('reports HTTP errors with the status', async () => {
    const { files } = await served();
    files.delete('weights.safetensors');
    const err = (await loadError(loadModel({ manifestUrl: 'https://models.example/m/manifest.json', fetch: server(files) }))) as Error & { status?: number };
    expect(err.name).toBe('ModelFetchError');
    expect(err.status).toBe(404);
    expect(err.message).toBe('fetching "weights.safetensors" failed: HTTP 404 Not Found');
  });

  it('refuses a Content-Length that disagrees with the manifest without reading the body', async () => {
    const { files, fixture: f } = await served();
    const body = endlessBody(new Uint8Array(1024));
    const expected = f.files.get('weights.safetensors')!.length;
    files.set('weights.safetensors', new Response(body.stream, { headers: { 'content-length': String(expected + 1_000_000) } }));
    const err = await loadError(loadModel({ manifestUrl: 'https://models.example/m/manifest.json', fetch: server(files) }));
    expect(err.name).toBe('WeightsSizeMismatchError');
    expect(err.message).toBe(`model file "weights.safetensors" announces ${expected + 1_000_000} bytes, manifest says ${expected}`);
    expect(body.state.pulls).toBeLessThanOrEqual(1); // a stream may pre-pull one chunk on creation; nothing was read
  });

  it('stops reading and cancels a body that runs past the manifest size', async () => {
    const { files, fixture: f } = await served();
    const body = endlessBody(new Uint8Array(100));
    files.set('weights.safetensors', new Response(body.stream));
    const expected = f.files.get('weights.safetensors')!.length;
    const err = await loadError(loadModel({ manifestUrl: 'https://models.example/m/manifest.json', fetch: server(files) }));
    expect(err.name).toBe('WeightsSizeMismatchError');
    expect(err.message).toMatch(new RegExp(`^model file "weights\\.safetensors" sent at least \\d+ bytes, manifest says ${expected}$`));
    expect(body.state.pulls).toBeLessThanOrEqual(Math.ceil(expected / 100) + 2);
    await new Promise((r) => setTimeout(r, 0));
    expect(body.state.cancelled).toBe(true);
  });

  it('caps the manifest download', async () => {
    const { files } = await served();
    const body = endlessBody(new Uint8Array(4096));
    files.set('manifest.json', new Response(body.stream));
    const err = await loadError(loadModel({ manifestUrl: 'https://models.example/m/manifest.json', fetch: server(files), maxManifestBytes: 10_000 }));
    expect(err.name).toBe('ModelFetchError');
    expect(err.message).toMatch(/response sent at least 12288 bytes, above the limit of 10000/);
  });

  it('refuses a manifest that is not JSON', async () => {
    const { files } = await served();
    files.set('manifest.json', new TextEncoder().encode('{"format": '));
    const err = await loadError(loadModel({ manifestUrl: 'https://models.example/m/manifest.json', fetch: server(files) }));
    expect(err.name).toBe('InvalidManifestError');
    expect(err.message).toMatch(/^manifest is not valid UTF-8 JSON/);
  });

  it('refuses a relative manifest URL when there is no page to resolve it against', async () => {
    const err = await loadError(loadModel({ manifestUrl: '/models/x/manifest.json', fetch: server(new Map()) }));
    expect(err.name).toBe('ModelFetchError');
    expect(err.message).toMatch(/not a valid URL/);
  });
});
