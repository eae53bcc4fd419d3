/**
 * Test harness page for the mesh: one real MeshNode in a real Chromium tab, with handlers that
 * record what they receive, and helpers the test drives through `page.evaluate`.
 *
 * Query parameters: `relay` (required), `ban=off` (never ban: the fuzz target must keep
 * listening to its attacker), `stopOnHide=0`.
 */
import { MeshNode, encodeMessage, PROTOCOLS, TOPICS, sha256Hex, type MeshPeer, type ProtocolName } from '../../../src/mesh/index.ts';
import { isDirectAddr } from '../../../src/mesh/config.ts';
import { hex, malformed, prng, rawSend, servedProtocols } from './fuzz.ts';

const params = new URLSearchParams(location.search);
const mesh = new MeshNode({
  peerBook: params.get('ban') === 'off' ? { disconnectBelow: -Infinity } : {},
  stopOnPageHide: params.get('stopOnHide') !== '0',
  // The fuzz test sends thousands of bad messages: keep the console quiet, keep the last lines.
  log: (line) => {
    H.log.push(line.slice(0, 300));
    if (H.log.length > 200) H.log.shift();
  },
});

const H = {
  errors: [] as string[],
  /** The node's last log lines ('dropped …' for resets and timeouts, 'rejected …' for offences). */
  log: [] as string[],
  events: [] as { type: string; peer: string; wall: number }[],
  gossip: [] as { topic: string; type: string; jobId: string; from: string; wall: number }[],
  oneWay: [] as { protocol: string; jobId: string; from: string }[],
  /** 'peer:capability' events: whose, its free slots now and before (null: first advert). */
  capabilityEvents: [] as { peer: string; freeSlots: number; previous: number | null; wall: number }[],
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
mesh.on('peer:capability', ({ peer, previous }) => H.capabilityEvents.push({ peer: peer.id, freeSlots: peer.capability!.freeSlots, previous: previous ? previous.freeSlots : null, wall: Date.now() }));

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


(globalThis as Record<string, unknown>).meshHarness = {
  mesh,
  H,
  async start() {
    await mesh.start();
    await mesh.advertise({ adapter: 'harness', gflops: 1.5, freeSlots: 2, priceFloor: 1n, payout: '0x' + '11'.repeat(20), models: [], operator: '0x' + '11'.repeat(20) });
    return mesh.peerId;
  },
  peerId: () => mesh.peerId,
  /** Advertises the harness capability again with `freeSlots` (gossiped at once). */
  async advertiseSlots(freeSlots: number) {
    await mesh.advertise({ adapter: 'harness', gflops: 1.5, freeSlots, priceFloor: 1n, payout: '0x' + '11'.repeat(20), models: [], operator: '0x' + '11'.repeat(20) });
  },
  summary() {
    const s = mesh.state();
    const conns = mesh.libp2p.getConnections().map((c) => ({ peer: c.remotePeer.toString(), addr: c.remoteAddr.toString(), direct: isDirectAddr(c.remoteAddr), status: c.status }));
    const topicPeers = mesh.libp2p.services.pubsub.getSubscribers(TOPICS.jobs.id).map(String);
    // JSON-safe (a test's waitFor prints it on a timeout): the capability's priceFloor is a bigint.
    const peers = s.peers.map((p: MeshPeer) => (p.capability ? { ...p, capability: { ...p.capability, priceFloor: String(p.capability.priceFloor) } } : p));
    return { ...s, peers, direct: mesh.directPeers(), topicPeers, relayConnected: mesh.relayConnected(), conns, dial: mesh.dialStats, rejected: mesh.rejectedCount, handlerCalls: H.handlerCalls, errors: H.errors, events: H.events };
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
  /**
   * A request cancelled mid-frame, through the node's own request path: a unit-assign of `size`
   * input bytes whose signal aborts once `abortAfter` bytes went out on its stream (counted by
   * wrapping the direct connections' `newStream`). Resolves to the request's error name and the
   * bytes sent before the abort.
   */
  async abortMidRequest(peer: string, size: number, abortAfter: number) {
    const ac = new AbortController();
    let sent = 0;
    const conns = mesh.libp2p.getConnections().filter((c) => c.remotePeer.toString() === peer && isDirectAddr(c.remoteAddr));
    const restore = conns.map((c) => {
      const own = Object.prototype.hasOwnProperty.call(c, 'newStream');
      const orig = c.newStream;
      c.newStream = async function (this: typeof c, ...args: Parameters<typeof c.newStream>) {
        const stream = await orig.apply(this, args);
        const send = stream.send.bind(stream);
        stream.send = (data) => {
          const r = send(data);
          sent += data.byteLength;
          if (sent >= abortAfter && !ac.signal.aborted) ac.abort(new Error('cancelled by the test'));
          return r;
        };
        return stream;
      } as typeof c.newStream;
      return () => {
        if (own) c.newStream = orig;
        else delete (c as { newStream?: unknown }).newStream;
      };
    });
    try {
      await mesh.request(peer, 'unit-assign', { jobId: hex(64, 5), modelId: hex(64, 6), unitIndex: 0, batch: 1, input: new Uint8Array(size) }, { signal: ac.signal, timeoutMs: 20_000 });
      return { error: null, sent };
    } catch (e) {
      return { error: (e as Error).name, sent };
    } finally {
      for (const r of restore) r();
    }
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
  /**
   * Opens `n` streams to `peer` for protocol `name` (one `peer` does not serve), `parallel` at a
   * time, alternating the node's `request` and a bare `newStream` (what the fuzzer uses). Returns
   * how each failed (error names), and the direct link before and after: same connection id,
   * its status, whether `peer` is still a direct peer.
   */
  async unservedStreams(peer: string, name: ProtocolName, n: number, parallel = 1) {
    const direct = () => mesh.libp2p.getConnections().filter((c) => c.remotePeer.toString() === peer && isDirectAddr(c.remoteAddr));
    const before = direct().map((c) => ({ id: c.id, status: c.status }));
    const errors: Record<string, number> = {};
    const count = (e: unknown) => {
      const k = (e as Error)?.name ?? String(e);
      errors[k] = (errors[k] ?? 0) + 1;
    };
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        if (i % 2 === 0) {
          const msg = name === 'receipt' ? { data: new Uint8Array(8) } : name === 'ledger-sync' ? { data: Uint8Array.of(2) } : null;
          if (!msg) throw new Error(`unservedStreams: no request for ${name}`);
          await mesh.request(peer, name as 'receipt', msg, { timeoutMs: 10_000 }).then(() => count({ name: 'no error' }), count);
        } else {
          const conn = direct().find((c) => c.status === 'open');
          if (!conn) {
            count({ name: 'no-conn' });
            continue;
          }
          await conn.newStream(PROTOCOLS[name].id, { signal: AbortSignal.timeout(10_000) }).then((s) => (count({ name: 'no error' }), s.abort(new Error('unexpected'))), count);
        }
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    // Let any close that the failures set off land before looking.
    await new Promise((r) => setTimeout(r, 500));
    const after = direct().map((c) => ({ id: c.id, status: c.status }));
    return { errors, before, after, directPeer: mesh.directPeers().includes(peer) };
  },
  /**
   * Sends `n` malformed frames to `peer`, `parallel` at a time, over the protocols it serves
   * (`protocols: 'served'`, from identify) or over all of them, served or not (`'all'`: frames for
   * an unserved protocol end at multistream-select's "na", outcome 'unsupported').
   */
  async fuzzStreams(peer: string, n: number, seed: number, parallel = 8, protocols: 'served' | 'all' = 'served') {
    const rnd = prng(seed);
    const protos = protocols === 'all' ? (Object.keys(PROTOCOLS) as ProtocolName[]) : await servedProtocols(mesh, peer);
    const jobs = Array.from({ length: n }, () => {
      const p = protos[Math.floor(rnd() * protos.length)]!;
      return { p, ...malformed(p, rnd) };
    });
    const kinds: Record<string, number> = {};
    let next = 0;
    let noConn = 0;
    const outcomes: Record<string, number> = {};
    const unsupported = new Set<ProtocolName>();
    const worker = async () => {
      while (next < jobs.length) {
        const j = jobs[next++]!;
        kinds[j.kind] = (kinds[j.kind] ?? 0) + 1;
        const r = await rawSend(mesh, peer, j.p, j.bytes).catch((e: Error) => `error:${e?.name}`);
        if (r === 'unsupported') unsupported.add(j.p);
        outcomes[r] = (outcomes[r] ?? 0) + 1;
        if (r === 'no-conn') noConn++;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: parallel }, worker));
    return { sent: n, noConn, kinds, outcomes, protocols: protos, unsupported: [...unsupported].sort(), ms: performance.now() - t0 };
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
