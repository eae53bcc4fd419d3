/**
 * Test harness page for the mesh: one real MeshNode in a real Chromium tab, with handlers that
 * record what they receive, and helpers the test drives through `page.evaluate`.
 *
 * Query parameters: `relay` (required), `ban=off` (never ban: the fuzz target must keep
 * listening to its attacker), `stopOnHide=0`.
 */
import { MeshNode, encodeMessage, PROTOCOLS, TOPICS, sha256Hex, MAX_MESSAGE_BYTES, type MeshPeer, type MessageType, type ProtocolName } from '../../../src/mesh/index.ts';
import { isDirectAddr } from '../../../src/mesh/config.ts';

const params = new URLSearchParams(location.search);
const mesh = new MeshNode({
  peerBook: params.get('ban') === 'off' ? { disconnectBelow: -Infinity } : {},
  stopOnPageHide: params.get('stopOnHide') !== '0',
  log: () => undefined, // the fuzz test sends thousands of bad messages; keep the console quiet
});

const H = {
  errors: [] as string[],
  events: [] as { type: string; peer: string; wall: number }[],
  gossip: [] as { topic: string; type: string; jobId: string; from: string; wall: number }[],
  oneWay: [] as { protocol: string; jobId: string; from: string }[],
  handlerCalls: 0,
  rejects: 0,
  blobs: new Map<string, Uint8Array>(),
};
addEventListener('error', (e) => H.errors.push(String(e.message)));
addEventListener('unhandledrejection', (e) => H.errors.push('unhandled: ' + String((e.reason as Error)?.stack ?? e.reason)));

mesh.on('peer:connect', (p) => H.events.push({ type: 'connect', peer: p.id, wall: Date.now() }));
mesh.on('peer:disconnect', (p) => H.events.push({ type: 'disconnect', peer: p.id, wall: Date.now() }));
mesh.on('peer:banned', (p) => H.events.push({ type: 'banned', peer: p.id, wall: Date.now() }));
mesh.on('reject', () => H.rejects++);

mesh.handle('unit-assign', (msg, peer) => {
  H.handlerCalls++;
  return { accepted: true, reason: `${peer.slice(-6)}:${msg.unitIndex}:${msg.input.byteLength}` };
});
mesh.handle('unit-result', (msg) => {
  H.handlerCalls++;
  return { accepted: msg.output.byteLength > 0, reason: msg.outputHash.slice(0, 8) };
});
mesh.handle('job', (msg, from) => {
  H.handlerCalls++;
  H.oneWay.push({ protocol: 'job', jobId: msg.jobId, from });
});
mesh.handle('cancel', (msg, from) => {
  H.handlerCalls++;
  H.oneWay.push({ protocol: 'cancel', jobId: msg.jobId, from });
});
mesh.serveBlobs((hash) => H.blobs.get(hash));
mesh.subscribe('jobs', (m, from) => H.gossip.push({ topic: 'jobs', type: m.type, jobId: m.msg.jobId, from, wall: Date.now() }));
mesh.subscribe('capabilities', (m, from) => H.gossip.push({ topic: 'capabilities', type: m.type, jobId: '', from, wall: Date.now() }));

const hex = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((seed * 31 + i * 7) & 0xf).toString(16)).join('');

/** Mulberry32: a small seeded PRNG, so a failing fuzz run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function validRequest(p: ProtocolName, rnd: () => number): Uint8Array {
  const h = hex(64, Math.floor(rnd() * 1000));
  switch (p) {
    case 'unit-assign':
      return encodeMessage('unit-assign', { jobId: h, modelId: h, unitIndex: 1, batch: 2, input: new Uint8Array(Math.floor(rnd() * 64)) });
    case 'unit-result':
      return encodeMessage('unit-result', { jobId: h, unitIndex: 1, output: new Uint8Array(8), outputHash: h, claim: new Uint8Array(65) });
    case 'job':
      return encodeMessage('job-announce', { jobId: h, modelId: h, task: 'classify', units: 3, pricePerUnit: 5n, replication: 2, deadline: Date.now() + 60_000 });
    case 'cancel':
      return encodeMessage('cancel', { jobId: h, reason: 'fuzz' });
    case 'blob':
      return encodeMessage('blob-request', { hash: h, index: 0 });
    case 'capability':
      return encodeMessage('capability-query', {});
  }
}

function frame(payload: Uint8Array, declared = payload.byteLength): Uint8Array {
  const f = new Uint8Array(4 + payload.byteLength);
  new DataView(f.buffer).setUint32(0, declared >>> 0);
  f.set(payload, 4);
  return f;
}

/**
 * One malformed frame for protocol `p`. Every kind is invalid by construction (except the rare
 * random payload that happens to decode, which the test tolerates and counts).
 */
function malformed(p: ProtocolName, rnd: () => number): { kind: string; bytes: Uint8Array; closeEarly?: boolean } {
  const valid = validRequest(p, rnd);
  const reqType = PROTOCOLS[p].request as MessageType;
  const kinds = ['random', 'oversized-header', 'truncated', 'trailing-in-frame', 'wrong-type', 'bad-tag', 'cut-field', 'bad-field', 'empty', 'huge-length-field'];
  const kind = kinds[Math.floor(rnd() * kinds.length)]!;
  const rand = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
  switch (kind) {
    case 'random': {
      // A random payload with a valid header; never the one-byte empty query.
      const b = rand(2 + Math.floor(rnd() * 300));
      return { kind, bytes: frame(b) };
    }
    case 'oversized-header':
      return { kind, bytes: frame(rand(8), MAX_MESSAGE_BYTES[reqType] + 1 + Math.floor(rnd() * 1e6)) };
    case 'truncated':
      return { kind, bytes: frame(valid, valid.byteLength + 1 + Math.floor(rnd() * 100)), closeEarly: true };
    case 'trailing-in-frame': {
      const b = new Uint8Array(valid.byteLength + 1 + Math.floor(rnd() * 16));
      b.set(valid);
      return { kind, bytes: frame(b) };
    }
    case 'wrong-type': {
      const other = p === 'cancel' ? encodeMessage('ack', { accepted: true, reason: '' }) : encodeMessage('cancel', { jobId: hex(64, 1), reason: 'x' });
      return { kind, bytes: frame(other) };
    }
    case 'bad-tag': {
      const b = valid.slice();
      b[0] = 200 + Math.floor(rnd() * 50);
      return { kind, bytes: frame(b) };
    }
    case 'cut-field': {
      if (valid.byteLength < 2) return { kind, bytes: frame(rand(3)) };
      return { kind, bytes: frame(valid.subarray(0, 1 + Math.floor(rnd() * (valid.byteLength - 1)))) };
    }
    case 'bad-field': {
      // Field-level lies: batch 0, replication 0, bool 2, invalid UTF-8 in a string.
      const b = valid.slice();
      if (p === 'unit-assign') new DataView(b.buffer).setUint32(1 + 32 + 32 + 4, 0); // batch = 0
      else if (p === 'job') b[1 + 32 + 32 + 4 + 8 + 4 + 8] = 0; // replication = 0 (after task 'classify' = 4+8)
      else if (p === 'cancel') { b[b.length - 1] = 0xff; } // invalid UTF-8 in reason
      else if (p === 'unit-result') new DataView(b.buffer).setUint32(1 + 32 + 4, 0xfffffff0); // output length past limit
      else if (p === 'blob') return { kind, bytes: frame(b.subarray(0, b.length - 1)) };
      else return { kind, bytes: frame(Uint8Array.of(2, 0)) };
      return { kind, bytes: frame(b) };
    }
    case 'empty':
      return { kind, bytes: frame(new Uint8Array(0)) };
    default: {
      // huge-length-field: a bytes/str length field that claims more than remains.
      const b = valid.slice();
      const at = ({ 'unit-assign': 73, 'unit-result': 37, job: 65, cancel: 33 } as Partial<Record<ProtocolName, number>>)[p];
      if (at !== undefined) new DataView(b.buffer).setUint32(at, 0x7fffffff - Math.floor(rnd() * 1000));
      else b[0] = 255;
      return { kind, bytes: frame(b) };
    }
  }
}

async function rawSend(peer: string, p: ProtocolName, bytes: Uint8Array, closeEarly: boolean): Promise<string> {
  const conn = mesh.libp2p.getConnections().find((c) => c.remotePeer.toString() === peer && c.status === 'open' && isDirectAddr(c.remoteAddr));
  if (!conn) return 'no-conn';
  const stream = await conn.newStream(PROTOCOLS[p].id, { signal: AbortSignal.timeout(5000) });
  try {
    // Oversized data goes in pieces as a real sender would; the receiver must stop at the header.
    for (let off = 0; off < bytes.byteLength; off += 65536) if (!stream.send(bytes.subarray(off, off + 65536))) await stream.onDrain({ signal: AbortSignal.timeout(5000) });
    await stream.close({ signal: AbortSignal.timeout(5000) });
    void closeEarly;
    // Drain whatever comes back until the remote ends or resets.
    for await (const _ of stream) void _;
    return 'closed';
  } catch {
    stream.abort(new Error('fuzz'));
    return 'reset';
  }
}

(globalThis as Record<string, unknown>).meshHarness = {
  mesh,
  H,
  async start() {
    await mesh.start();
    await mesh.advertise({ adapter: 'harness', gflops: 1.5, freeSlots: 2, priceFloor: 1n, payout: '0x' + '11'.repeat(20), models: [] });
    return mesh.peerId;
  },
  peerId: () => mesh.peerId,
  summary() {
    const s = mesh.state();
    const conns = mesh.libp2p.getConnections().map((c) => ({ peer: c.remotePeer.toString(), addr: c.remoteAddr.toString(), direct: isDirectAddr(c.remoteAddr), status: c.status }));
    const topicPeers = mesh.libp2p.services.pubsub.getSubscribers(TOPICS.jobs.id).map(String);
    return { ...s, direct: mesh.directPeers(), topicPeers, relayConnected: mesh.relayConnected(), conns, dial: mesh.dialStats, rejected: mesh.rejectedCount, handlerCalls: H.handlerCalls, errors: H.errors, events: H.events };
  },
  /** State minus volatile fields, for before/after comparison. */
  stableState(except?: string) {
    const s = mesh.state();
    const peers = s.peers.map((p: MeshPeer) => (p.id === except ? { id: p.id, direct: p.direct, connected: p.connected } : { ...p, capabilityAt: null }));
    return { peerId: s.peerId, handlers: s.handlers, topics: s.topics, peers };
  },
  async publishJob(tag: number) {
    const jobId = hex(64, tag);
    const wall = Date.now(); // before publishing: receivers may log the message before publish() resolves
    const n = await mesh.publish('jobs', { type: 'job-announce', msg: { jobId, modelId: hex(64, 2), task: 'classify', units: 4, pricePerUnit: 10n, replication: 2, deadline: Date.now() + 60_000 } });
    return { jobId, recipients: n, wall };
  },
  gossipSeen: (jobId: string) => H.gossip.find((g) => g.jobId === jobId) ?? null,
  async assign(peer: string, unitIndex: number, size: number) {
    const t0 = performance.now();
    const input = new Uint8Array(size);
    for (let i = 0; i < size; i++) input[i] = i & 0xff;
    const ack = await mesh.request(peer, 'unit-assign', { jobId: hex(64, 3), modelId: hex(64, 4), unitIndex, batch: 1, input }, { timeoutMs: 10_000 });
    return { ...ack, ms: performance.now() - t0 };
  },
  async sendCancel(peer: string, tag: number) {
    await mesh.send(peer, 'cancel', { jobId: hex(64, tag), reason: 'test' });
  },
  async queryCapability(peer: string) {
    return mesh.request(peer, 'capability', {}, { timeoutMs: 10_000 }).then((c) => ({ ...c, priceFloor: String(c.priceFloor) }));
  },
  async makeBlob(size: number) {
    const b = new Uint8Array(size);
    for (let off = 0; off < size; off += 65536) crypto.getRandomValues(b.subarray(off, Math.min(size, off + 65536)));
    const hash = await sha256Hex(b);
    H.blobs.set(hash, b);
    return hash;
  },
  async fetchBlob(peer: string, hash: string, window = 4) {
    const t0 = performance.now();
    const b = await mesh.fetchBlob(peer, hash, { window });
    const ms = performance.now() - t0;
    return { bytes: b.byteLength, ms, MBps: b.byteLength / 1e6 / (ms / 1000), ok: (await sha256Hex(b)) === hash };
  },
  /** Closes the direct link to `peer` and dials it again `n` times; counts successes. */
  async redial(peer: string, n: number) {
    const node = mesh.libp2p;
    const pid = node.getConnections().find((c) => c.remotePeer.toString() === peer)!.remotePeer;
    const relay = mesh.state().addrs.find((a) => a.includes('/p2p-circuit'))!.split('/p2p-circuit')[0]!;
    const { multiaddr } = await import('@multiformats/multiaddr');
    const out: { ok: boolean; ms: number; err?: string }[] = [];
    for (let i = 0; i < n; i++) {
      for (const c of node.getConnections(pid)) if (isDirectAddr(c.remoteAddr)) await c.close().catch(() => undefined);
      const t0 = performance.now();
      try {
        const c = await node.dial(multiaddr(`${relay}/p2p-circuit/webrtc/p2p/${peer}`), { force: true, signal: AbortSignal.timeout(15_000) });
        out.push({ ok: isDirectAddr(c.remoteAddr), ms: performance.now() - t0 });
      } catch (e) {
        out.push({ ok: false, ms: performance.now() - t0, err: String(e).slice(0, 200) });
      }
    }
    return out;
  },
  /** Sends `n` malformed frames over every protocol to `peer`, `parallel` at a time. */
  async fuzzStreams(peer: string, n: number, seed: number, parallel = 8) {
    const rnd = prng(seed);
    const protos = Object.keys(PROTOCOLS) as ProtocolName[];
    const jobs = Array.from({ length: n }, () => {
      const p = protos[Math.floor(rnd() * protos.length)]!;
      return { p, ...malformed(p, rnd) };
    });
    const kinds: Record<string, number> = {};
    let next = 0;
    let noConn = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const j = jobs[next++]!;
        kinds[j.kind] = (kinds[j.kind] ?? 0) + 1;
        const r = await rawSend(peer, j.p, j.bytes, j.closeEarly ?? false).catch(() => 'error');
        if (r === 'no-conn') noConn++;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: parallel }, worker));
    return { sent: n, noConn, kinds, ms: performance.now() - t0 };
  },
  /** Publishes `n` malformed gossip messages (the attacker switches its own validators off). */
  async fuzzGossip(n: number, seed: number) {
    const rnd = prng(seed);
    const pubsub = mesh.libp2p.services.pubsub;
    pubsub.topicValidators.clear();
    const topics = Object.values(TOPICS).map((t) => t.id);
    let sent = 0;
    for (let i = 0; i < n; i++) {
      const topic = topics[i % topics.length]!;
      const kind = i % 4;
      let data: Uint8Array;
      if (kind === 0) data = Uint8Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256));
      else if (kind === 1) data = encodeMessage('ack', { accepted: true, reason: 'not a gossip type' });
      else if (kind === 2) data = encodeMessage('cancel', { jobId: hex(64, i), reason: 'r' }).subarray(0, 20);
      else data = Uint8Array.of(3);
      // a cancel on 'capabilities' is the wrong type for that topic; on 'jobs' kind 2 is truncated
      await pubsub.publish(topic, data).then(() => sent++, () => undefined);
    }
    return { sent };
  },
  stop: () => mesh.stop(),
};

const relay = params.get('relay');
if (relay && params.get('autostart') !== '0') {
  (globalThis as Record<string, unknown>).meshReady = (globalThis as unknown as { meshHarness: { start(): Promise<string> } }).meshHarness.start().catch((e: Error) => {
    H.errors.push('start: ' + String(e?.stack ?? e));
    throw e;
  });
}
