import { describe, expect, it, vi } from 'vitest';
import { TabmeshClient } from './client.ts';
import { connect } from './connect.ts';
import { ClientClosedError, ContributeUnavailableError, InvalidJobSpecError, JobCancelledError, JobFailedError, ConnectError } from './errors.ts';
import type { ClientNode, ContributorInfo, JobHandle, JobProgress, JobResult, JobSpec, MeshPeer, UnitState } from './types.ts';

const JOB_ID = 'ab'.repeat(32);
const STATES: UnitState[] = ['queued', 'fetching-model', 'running', 'verifying', 'done', 'failed'];

function progressOf(states: UnitState[], done = false): JobProgress {
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<UnitState, number>;
  for (const s of states) counts[s]++;
  return { jobId: JOB_ID, units: states.map((state, index) => ({ index, state, workers: [], attempts: 0 })), counts, done };
}

/** A JobHandle whose outcome the test decides. */
class FakeHandle extends EventTarget implements JobHandle {
  readonly id = JOB_ID;
  readonly result: Promise<JobResult>;
  resolve!: (r: JobResult) => void;
  reject!: (e: Error) => void;
  current = progressOf(['queued', 'queued']);
  cancelled = 0;
  constructor() {
    super();
    this.result = new Promise((res, rej) => ((this.resolve = res), (this.reject = rej)));
    this.result.catch(() => undefined);
  }
  progress(): JobProgress {
    return this.current;
  }
  emit(p: JobProgress): void {
    this.current = p;
    this.dispatchEvent(new CustomEvent('progress', { detail: p }));
  }
  async cancel(): Promise<void> {
    this.cancelled++;
    this.reject(Object.assign(new Error(`job ${JOB_ID.slice(0, 12)} was cancelled`), { name: 'JobCancelledError' }));
  }
}

const peer = (id: string, freeSlots: number): MeshPeer => ({
  id, direct: true, connected: true, directSince: 1, score: 0, offences: 0, lastOffence: null, capabilityAt: 1, bannedUntil: null,
  capability: { adapter: 'x', gflops: 1, freeSlots, priceFloor: 0n, payout: `0x${'11'.repeat(20)}`, models: [], operator: `0x${'11'.repeat(20)}` },
});

const INFO: ContributorInfo = { contributing: false, slots: 0, unitsDone: 0, unitsRunning: 0, unitsFailed: 0, address: '0x00', recent: [] };

/** A plain object with the node's signatures: records what reaches it. */
function fakeNode(over: Partial<ClientNode> = {}) {
  const submitted: JobSpec[] = [];
  const handles: FakeHandle[] = [];
  const events = new EventTarget();
  const node = {
    peerId: '12D3KooWfake',
    submit: vi.fn((spec: JobSpec) => {
      submitted.push(spec);
      const h = new FakeHandle();
      handles.push(h);
      return h;
    }),
    startContributing: vi.fn(async () => ({ ...INFO, contributing: true })),
    stopContributing: vi.fn(async () => undefined),
    contributor: vi.fn(() => INFO),
    peers: vi.fn(() => []),
    stop: vi.fn(async () => undefined),
    addEventListener: events.addEventListener.bind(events),
    removeEventListener: events.removeEventListener.bind(events),
    ...over,
  } satisfies ClientNode;
  return { node, submitted, handles, events };
}

const spec = (): JobSpec => ({ model: { url: '/models/digits-cnn/manifest.json' }, inputs: new Float32Array(4 * 784), samples: 4, replication: 2, labels: new Uint8Array(4) });

const RESULT: JobResult = {
  jobId: JOB_ID, argmax: new Uint32Array(4), probs: new Float32Array(40), classes: 10, accuracy: 1, credits: {}, perWorker: {}, mismatchesDetected: 0,
  equivocations: 0, evidence: [], lostUnits: 0, units: 2, unitsVerified: 2, spotChecked: 0, unitsPerSecond: 3, latencyMs: { p50: 1, p95: 2 }, wallMs: 10,
};

describe('TabmeshClient.submit', () => {
  it('passes a valid spec through to the node and wraps its handle', async () => {
    const { node, submitted, handles } = fakeNode();
    const client = new TabmeshClient(node);
    const s = spec();
    const job = client.submit(s);
    expect(node.submit).toHaveBeenCalledTimes(1);
    expect(submitted[0]).toEqual(s);
    expect(submitted[0]!.inputs).toBe(s.inputs);
    expect(job.id).toBe(JOB_ID);
    expect(client.jobs()).toEqual([job]);
    handles[0]!.resolve(RESULT);
    expect(await job.result).toBe(RESULT);
    expect(job.settled).toBe(true);
    expect(client.jobs()).toEqual([]);
  });

  it('throws InvalidJobSpecError naming the field, and the node never sees the spec', () => {
    const { node } = fakeNode();
    const client = new TabmeshClient(node);
    for (const [field, patch] of [
      ['samples', { samples: 0 }],
      ['inputs', { inputs: new Float32Array(5) }],
      ['replication', { replication: 17 }],
      ['pricePerUnit', { pricePerUnit: 5 }],
      ['labels', { labels: new Uint8Array(3) }],
      ['model.url', { model: { url: 7 } }],
    ] as const) {
      let err: unknown;
      try {
        client.submit({ ...spec(), ...patch } as unknown as JobSpec);
      } catch (e) {
        err = e;
      }
      expect(err, field).toBeInstanceOf(InvalidJobSpecError);
      expect((err as InvalidJobSpecError).field).toBe(field);
    }
    expect(node.submit).not.toHaveBeenCalled();
  });

  it("maps the node's own InvalidJobError to InvalidJobSpecError with its field", () => {
    const nodeErr = Object.assign(new Error('job: inputs length 3136 is not samples × 785'), { name: 'InvalidJobError', field: 'inputs' });
    const { node } = fakeNode({ submit: () => { throw nodeErr; } });
    const client = new TabmeshClient(node);
    let err: unknown;
    try {
      client.submit(spec());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidJobSpecError);
    expect((err as InvalidJobSpecError).field).toBe('inputs');
    expect((err as Error).cause).toBe(nodeErr);
  });
});

describe('ClientJob', () => {
  it('delivers progress to listeners and to the async iterator, ending at done', async () => {
    const { node, handles } = fakeNode();
    const job = new TabmeshClient(node).submit(spec());
    const h = handles[0]!;
    const seen: number[] = [];
    const off = job.on('progress', (p) => seen.push(p.counts.done));
    const iterated: JobProgress[] = [];
    const iterating = (async () => {
      for await (const p of job) iterated.push(p);
    })();
    await Promise.resolve();
    h.emit(progressOf(['done', 'running']));
    await new Promise((r) => setTimeout(r, 0));
    h.emit(progressOf(['done', 'done'], true));
    h.resolve(RESULT);
    await iterating;
    expect(seen).toEqual([1, 2]);
    expect(iterated[0]!.counts.queued).toBe(2);
    expect(iterated.at(-1)!.done).toBe(true);
    expect(job.progress().counts.done).toBe(2);
    off();
  });

  it('rejects with JobCancelledError after cancel(), the node error as cause', async () => {
    const { node, handles } = fakeNode();
    const job = new TabmeshClient(node).submit(spec());
    await job.cancel();
    expect(handles[0]!.cancelled).toBe(1);
    const err = await job.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobCancelledError);
    expect((err as JobCancelledError).jobId).toBe(JOB_ID);
    expect(((err as Error).cause as Error).name).toBe('JobCancelledError');
    await job.cancel(); // settled: a no-op
    expect(handles[0]!.cancelled).toBe(1);
  });

  it('rejects with JobFailedError wrapping the node error', async () => {
    const { node, handles } = fakeNode();
    const job = new TabmeshClient(node).submit(spec());
    const nodeErr = Object.assign(new Error('no eligible worker'), { name: 'NoWorkersError' });
    handles[0]!.reject(nodeErr);
    const err = await job.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as Error).cause).toBe(nodeErr);
    expect((err as Error).message).toContain('NoWorkersError');
  });
});

describe('TabmeshClient.contribute', () => {
  it.each([
    ['WebGPUUnavailableError', 'no-webgpu'],
    ['NoWebGpuError', 'no-webgpu'],
    ['NoAdapterError', 'no-adapter'],
    ['ShaderCompilationError', 'error'],
  ] as const)('maps %s to ContributeUnavailableError(%s)', async (name, reason) => {
    const nodeErr = Object.assign(new Error('gpu says no'), { name });
    const { node } = fakeNode({ startContributing: async () => { throw nodeErr; } });
    const err = await new TabmeshClient(node).contribute().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContributeUnavailableError);
    expect((err as ContributeUnavailableError).reason).toBe(reason);
    expect((err as Error).cause).toBe(nodeErr);
  });

  it('finds the GPU error in the cause chain', async () => {
    const inner = Object.assign(new Error('none'), { name: 'NoAdapterError' });
    const { node } = fakeNode({ startContributing: async () => { throw new Error('compute worker failed', { cause: inner }); } });
    const err = (await new TabmeshClient(node).contribute().catch((e: unknown) => e)) as ContributeUnavailableError;
    expect(err.reason).toBe('no-adapter');
  });

  it('passes options and returns the node info', async () => {
    const { node } = fakeNode();
    const info = await new TabmeshClient(node).contribute({ slots: 3, priceFloor: 5n });
    expect(node.startContributing).toHaveBeenCalledWith({ slots: 3, priceFloor: 5n });
    expect(info.contributing).toBe(true);
  });

  it('forwards contributor and peers events until the listener is removed', () => {
    const { node, events } = fakeNode();
    const client = new TabmeshClient(node);
    const got: string[] = [];
    const off = client.on('contributor', (i) => got.push(`c${i.unitsDone}`));
    client.on('peers', (p) => got.push(`p${p.length}`));
    events.dispatchEvent(new Event('contributor'));
    events.dispatchEvent(new Event('peers'));
    off();
    events.dispatchEvent(new Event('contributor'));
    expect(got).toEqual(['c0', 'p0']);
  });

  it("hands 'peers' listeners the node's peers as they are at the event (a capability change included)", () => {
    let peers: MeshPeer[] = [peer('a', 0)];
    const { node, events } = fakeNode({ peers: vi.fn(() => peers) });
    const client = new TabmeshClient(node);
    const slots: number[][] = [];
    client.on('peers', (p) => slots.push(p.map((x) => x.capability?.freeSlots ?? -1)));
    peers = [peer('a', 2)]; // 'a' started contributing: same peer set, new capability
    events.dispatchEvent(new Event('peers'));
    expect(slots).toEqual([[2]]);
  });

  it("reports relay reachability and forwards 'relay' events", () => {
    let reachable = true;
    const { node, events } = fakeNode();
    Object.defineProperty(node, 'relayReachable', { get: () => reachable });
    const client = new TabmeshClient(node);
    expect(client.relayReachable).toBe(true);
    const heard: boolean[] = [];
    const off = client.on('relay', (r) => heard.push(r));
    reachable = false;
    events.dispatchEvent(new Event('relay'));
    reachable = true;
    events.dispatchEvent(new Event('relay'));
    off();
    events.dispatchEvent(new Event('relay'));
    expect(heard).toEqual([false, true]);
    expect(client.relayReachable).toBe(true);
  });

  it('reports the relay unreachable for a node that does not say', () => {
    const { node } = fakeNode();
    expect(new TabmeshClient(node).relayReachable).toBe(false);
  });

  it('refuses an event it does not have', () => {
    const { node } = fakeNode();
    expect(() => new TabmeshClient(node).on('nope' as 'peers', () => undefined)).toThrow(TypeError);
  });
});

describe('a closed client', () => {
  it('throws ClientClosedError from every call, stops its node once, and fails running jobs', async () => {
    const { node, events } = fakeNode();
    const client = new TabmeshClient(node);
    const job = client.submit(spec());
    const heard: unknown[] = [];
    client.on('peers', (p) => heard.push(p));
    const closing = client.close();
    expect(client.close()).toBe(closing);
    await closing;
    expect(client.closed).toBe(true);
    expect(node.stop).toHaveBeenCalledTimes(1);
    // The job was cancelled on close; its result rejects (cancelled, since the fake node answers the cancel).
    expect(await job.result.catch((e: Error) => e.name)).toMatch(/JobCancelledError|JobFailedError/);
    const calls: [string, () => unknown][] = [
      ['submit', () => client.submit(spec())],
      ['peers', () => client.peers()],
      ['contributor', () => client.contributor()],
      ['jobs', () => client.jobs()],
      ['peerId', () => client.peerId],
      ['relayReachable', () => client.relayReachable],
      ['on', () => client.on('peers', () => undefined)],
    ];
    for (const [what, call] of calls) expect(call, what).toThrow(ClientClosedError);
    await expect(client.contribute()).rejects.toBeInstanceOf(ClientClosedError);
    await expect(client.stopContributing()).rejects.toBeInstanceOf(ClientClosedError);
    expect(node.submit).toHaveBeenCalledTimes(1);
    expect(node.startContributing).not.toHaveBeenCalled();
    events.dispatchEvent(new Event('peers'));
    expect(heard).toEqual([]);
  });

  it('fails a job the node does not answer with JobFailedError caused by ClientClosedError', async () => {
    const { node } = fakeNode({ submit: () => Object.assign(new FakeHandle(), { cancel: async () => undefined }) });
    const client = new TabmeshClient(node);
    const job = client.submit(spec());
    await client.close();
    const err = (await job.result.catch((e: unknown) => e)) as JobFailedError;
    expect(err).toBeInstanceOf(JobFailedError);
    expect(err.cause).toBeInstanceOf(ClientClosedError);
  });

  it('leaves a node it does not own running', async () => {
    const { node } = fakeNode();
    await new TabmeshClient(node, { ownsNode: false }).close();
    expect(node.stop).not.toHaveBeenCalled();
  });
});

describe('connect', () => {
  it('starts the node from the options and returns an open client', async () => {
    const { node } = fakeNode();
    const start = vi.fn(async () => undefined);
    let init: unknown;
    const client = await connect({ relay: '/ip4/127.0.0.1/tcp/1/ws/p2p/x', createNode: (i) => ((init = i), { ...node, start }) });
    expect(init).toEqual({ relay: '/ip4/127.0.0.1/tcp/1/ws/p2p/x' });
    expect(start).toHaveBeenCalledTimes(1);
    expect(client.peerId).toBe('12D3KooWfake');
    await client.close();
    expect(node.stop).toHaveBeenCalledTimes(1);
  });

  it('rejects with ConnectError (node error as cause) and stops the node when start fails', async () => {
    const { node } = fakeNode();
    const cause = Object.assign(new Error('no relay configured'), { name: 'MeshConfigError' });
    const err = await connect({ createNode: () => ({ ...node, start: async () => { throw cause; } }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as Error).cause).toBe(cause);
    expect(node.stop).toHaveBeenCalledTimes(1);
  });

  it('gives up after timeoutMs', async () => {
    const { node } = fakeNode();
    const err = await connect({ timeoutMs: 20, createNode: () => ({ ...node, start: () => new Promise<void>(() => undefined) }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as Error).message).toMatch(/within 20 ms/);
  });

  it('without a relay, the real node fails with ConnectError caused by MeshConfigError', async () => {
    // An explicit empty relay list, so the environment's VITE_TABMESH_RELAY cannot change the outcome.
    const err = await connect({ timeoutMs: 10_000, mesh: { relays: [] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect(((err as Error).cause as Error).name).toBe('MeshConfigError');
  });
});
