/**
 * One tab's place in the mesh: a libp2p node on the main thread (libp2p cannot run in a Worker:
 * no RTCPeerConnection there), kept linked to every other tab over direct WebRTC, with typed
 * request/response and one-way protocols, gossip topics, a peer book with behaviour scores, and
 * content-addressed blob fetching.
 *
 * The relay only bootstraps (WebSocket + circuit-relay reservation for WebRTC signalling, and a
 * gossip hop for discovery). Protocol traffic goes over direct links only; once linked, tabs keep
 * talking if the relay goes away.
 *
 * Every inbound message is length-checked against its type's limit before it is buffered and
 * strictly decoded before any handler sees it. A malformed, oversized or unexpected message is
 * dropped with a logged reason, a `reject` event, and a score penalty for the sender; repeat
 * offenders are disconnected and refused for a while. Handlers never see bad input.
 *
 * @example
 * const mesh = new MeshNode({ relays: '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooW...' });
 * mesh.handle('unit-assign', async (msg, peer) => ({ accepted: true, reason: '' }));
 * mesh.on('peer:connect', (p) => console.log('linked to', p.id));
 * mesh.on('peer:capability', ({ peer, previous }) => console.log(peer.id, 'free slots', previous?.freeSlots, '→', peer.capability!.freeSlots));
 * await mesh.start();
 * const ack = await mesh.request(peerId, 'unit-assign', { jobId, modelId, unitIndex: 0, batch: 8, input }, { timeoutMs: 10_000 });
 * await mesh.publish('jobs', { type: 'job-announce', msg: announcement });
 * const off = mesh.subscribe('jobs', (m, from) => { if (m.type === 'job-announce') ... });
 * await mesh.stop();
 */
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import type { Message as GossipMessage } from '@libp2p/gossipsub';
import { TopicValidatorResult } from '@libp2p/gossipsub';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Multiaddr } from '@multiformats/multiaddr';
import { configuredRelayAddrs, createMeshLibp2p, isDirectAddr, parseRelayAddrs, relayPeerId, type MeshLibp2p } from './config.ts';
import { DialLoop, type DialStats } from './dialer.ts';
import {
  MeshConfigError,
  MeshNotStartedError,
  MessageDecodeError,
  PeerNotConnectedError,
  ProtocolNotSupportedError,
  RemoteError,
  RequestAbortedError,
  RequestTimeoutError,
  UnexpectedMessageError,
} from './errors.ts';
import { readFrame, writeFrame } from './framing.ts';
import {
  MAX_MESSAGE_BYTES,
  PROTOCOLS,
  TOPICS,
  decodeMessage,
  encodeMessage,
  type MessageOf,
  type MessageType,
  type OneWayProtocol,
  type ProtocolName,
  type RequestOf,
  type RequestProtocol,
  type ResponseOf,
  type TopicMessage,
  type TopicName,
} from './messages.ts';
import { PeerBook, type CapabilityChange, type MeshPeer, type PeerBookOptions } from './peer-book.ts';
import { fetchBlobChunks, serveChunk, type BlobSource, type FetchBlobOptions } from './blobs.ts';

export interface MeshNodeOptions {
  /** Relay multiaddrs (ending in /p2p/<id>), as a list or comma-separated text. Default: {@link configuredRelayAddrs}. */
  relays?: Multiaddr[] | string;
  /** ICE servers. Default none (local network); production passes STUN/TURN. */
  iceServers?: RTCIceServer[];
  /** Discovery announcement interval, ms. Default 1000. */
  discoveryIntervalMs?: number;
  /** Connection-monitor ping interval, ms. Default 10 000. */
  monitorIntervalMs?: number;
  /** Default request timeout, ms. Default 30 000. */
  requestTimeoutMs?: number;
  /** How long an inbound peer may take to send its request, ms. Default 30 000. */
  inboundTimeoutMs?: number;
  /** Scoring thresholds. */
  peerBook?: PeerBookOptions;
  /** Stop the node on `pagehide` so peers notice at once that this tab left. Default true. */
  stopOnPageHide?: boolean;
  /** Re-advertise the capability given to {@link MeshNode.advertise} this often, ms. Default 10 000. */
  capabilityIntervalMs?: number;
  /** Where rejected-message reasons go. Default: console.warn, at most one line per peer per second. */
  log?: (line: string) => void;
}

/** Context of an inbound request. */
export interface HandlerContext {
  /** Aborted when the node stops or the stream fails. */
  signal: AbortSignal;
  /** The remote peer id. */
  peer: string;
}

/** A protocol handler: returns the response (or nothing, for one-way protocols). Throwing answers with the error's `name`. */
export type Handler<P extends ProtocolName> = (msg: RequestOf<P>, peer: string, ctx: HandlerContext) => ResponseOf<P> | Promise<ResponseOf<P>>;

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the node's default request timeout. */
  timeoutMs?: number;
}

/** A dropped inbound message. */
export interface RejectDetail {
  peer: string;
  /** Protocol id or gossip topic. */
  where: string;
  /** The error's class name, e.g. 'MessageDecodeError'. */
  error: string;
  reason: string;
  score: number;
}

export interface MeshEvents {
  /** A peer got its first direct WebRTC link. */
  'peer:connect': MeshPeer;
  /** A peer lost its last direct link (it left, crashed, or was banned). */
  'peer:disconnect': MeshPeer;
  /** An inbound message was dropped. */
  reject: RejectDetail;
  /** A peer crossed the score threshold and was disconnected. */
  'peer:banned': MeshPeer;
  /**
   * A peer's advertised capability changed (its first advert, or a field such as `freeSlots`
   * differs), learnt from gossip or a `capability` query. The periodic re-advertisement of an
   * unchanged capability does not fire it.
   */
  'peer:capability': CapabilityChange;
  /** The relay connection opened or closed. */
  relay: { connected: boolean };
}

/** Test and dashboard view of the node's state. */
export interface MeshState {
  peerId: string;
  started: boolean;
  relayConnected: boolean;
  peers: MeshPeer[];
  handlers: ProtocolName[];
  topics: string[];
  addrs: string[];
}

/** Error names that mean the peer broke the protocol (the `name` fields are literals, stable under minification). */
const PENALIZED = new Set(['MessageDecodeError', 'UnexpectedMessageError', 'FrameTooLargeError', 'FrameTrailingDataError', 'FrameTruncatedError', 'BlobHashMismatchError']);

/** Read buffer for a stream that may carry a message of up to `n` bytes: WebRTC has no receive-side flow control. */
function readBufferFor(n: number): number {
  return Math.max(4 * 1024 * 1024, n + 256 * 1024);
}

export class MeshNode {
  readonly #opts: MeshNodeOptions;
  readonly #book: PeerBook;
  readonly #handlers = new Map<ProtocolName, Handler<ProtocolName>>();
  readonly #subs = new Map<TopicName, Set<(m: never, from: string) => void>>();
  readonly #events = new EventTarget();
  readonly #directNow = new Set<string>();
  #relays: Multiaddr[] = [];
  #relayIds = new Set<string>();
  #node: MeshLibp2p | null = null;
  #dialer: DialLoop | null = null;
  #keeper: ReturnType<typeof setInterval> | null = null;
  #capTimer: ReturnType<typeof setInterval> | null = null;
  #capability: MessageOf<'capability'> | null = null;
  #readvertise: ReturnType<typeof setTimeout> | null = null;
  #life = new AbortController();
  #relayUp = false;
  #lastLog = new Map<string, number>();
  #rejected = 0;
  #pageHide = (): void => void this.stop();

  constructor(opts: MeshNodeOptions = {}) {
    this.#opts = opts;
    this.#book = new PeerBook(opts.peerBook);
    this.#book.onCapability((change) => this.#emit('peer:capability', change));
  }

  /** Subscribes to a node event; returns the unsubscribe function. */
  on<K extends keyof MeshEvents>(type: K, listener: (detail: MeshEvents[K]) => void): () => void {
    const l = (e: Event) => listener((e as CustomEvent<MeshEvents[K]>).detail);
    this.#events.addEventListener(type, l);
    return () => this.#events.removeEventListener(type, l);
  }

  #emit<K extends keyof MeshEvents>(type: K, detail: MeshEvents[K]): void {
    this.#events.dispatchEvent(new CustomEvent(type, { detail }));
  }

  get started(): boolean {
    return this.#node !== null;
  }

  /** This tab's peer id. Throws MeshNotStartedError before start(). */
  get peerId(): string {
    return this.libp2p.peerId.toString();
  }

  /** The underlying libp2p node (escape hatch for diagnostics, tests and benchmarks). */
  get libp2p(): MeshLibp2p {
    if (!this.#node) throw new MeshNotStartedError();
    return this.#node;
  }

  /** The peer book (scores, capabilities). */
  get peerBook(): PeerBook {
    return this.#book;
  }

  /** Dial outcomes so far. */
  get dialStats(): DialStats {
    return this.#dialer?.stats ?? { attempts: 0, ok: 0, failed: 0, okMs: [], errors: [] };
  }

  /** Inbound messages dropped so far. */
  get rejectedCount(): number {
    return this.#rejected;
  }

  /** Starts libp2p, registers handlers, joins topics, connects to the relay and starts dialling. */
  async start(): Promise<void> {
    if (this.#node) return;
    const relays = this.#opts.relays ?? configuredRelayAddrs();
    if (!relays || relays.length === 0) throw new MeshConfigError('no relay configured: pass `relays`, add ?relay=<multiaddr> to the URL, or set VITE_TABMESH_RELAY');
    this.#relays = typeof relays === 'string' ? parseRelayAddrs(relays) : relays;
    this.#relayIds = new Set(this.#relays.map((r) => relayPeerId(r)!));
    this.#life = new AbortController();
    const node = await createMeshLibp2p({
      ...(this.#opts.iceServers ? { iceServers: this.#opts.iceServers } : {}),
      ...(this.#opts.discoveryIntervalMs ? { discoveryIntervalMs: this.#opts.discoveryIntervalMs } : {}),
      ...(this.#opts.monitorIntervalMs ? { monitorIntervalMs: this.#opts.monitorIntervalMs } : {}),
      isBanned: (p) => this.#book.isBanned(p.toString()),
    });
    this.#node = node;
    node.addEventListener('connection:open', this.#onConnOpen);
    node.addEventListener('connection:close', this.#onConnClose);
    for (const [name, h] of this.#handlers) await this.#register(name, h);
    const pubsub = node.services.pubsub;
    for (const topic of Object.values(TOPICS)) pubsub.topicValidators.set(topic.id, this.#validate);
    pubsub.addEventListener('message', this.#onGossip);
    await node.start();
    // @libp2p/gossipsub throws 'Pubsub has not started' when subscribing before start().
    for (const topic of Object.values(TOPICS)) pubsub.subscribe(topic.id);
    this.#dialer = new DialLoop(node, this.#relays, { isDirect: (p) => this.#directNow.has(p), isBanned: (p) => this.#book.isBanned(p) });
    this.#dialer.start();
    if (this.#opts.stopOnPageHide !== false && typeof globalThis.addEventListener === 'function') globalThis.addEventListener('pagehide', this.#pageHide);
    await this.#ensureRelay();
    this.#keeper = setInterval(() => void this.#ensureRelay(), 3000);
  }

  /** Leaves the mesh: closes every connection (peers notice within a second) and stops libp2p. */
  async stop(): Promise<void> {
    const node = this.#node;
    if (!node) return;
    this.#node = null;
    this.#life.abort();
    if (this.#keeper) clearInterval(this.#keeper);
    if (this.#capTimer) clearInterval(this.#capTimer);
    if (this.#readvertise) clearTimeout(this.#readvertise);
    this.#keeper = this.#capTimer = this.#readvertise = null;
    this.#dialer?.stop();
    this.#dialer = null;
    globalThis.removeEventListener?.('pagehide', this.#pageHide);
    node.removeEventListener('connection:open', this.#onConnOpen);
    node.removeEventListener('connection:close', this.#onConnClose);
    node.services.pubsub.removeEventListener('message', this.#onGossip);
    await node.stop();
    for (const id of this.#directNow) this.#book.upsert(id, { direct: false, connected: false });
    this.#directNow.clear();
    this.#relayUp = false;
  }

  /** Whether a connection to a relay is open. */
  relayConnected(): boolean {
    return this.#relayUp;
  }

  /** Other tabs connected now (directly or only relayed), with their scores. */
  peers(): MeshPeer[] {
    return this.#book.all().filter((p) => p.connected);
  }

  /** Ids of peers with a direct WebRTC link: the ones `request` can reach. */
  directPeers(): string[] {
    return [...this.#directNow];
  }

  /** A snapshot of the node's state (for tests, and the network view). */
  state(): MeshState {
    const n = this.#node;
    return {
      peerId: n ? n.peerId.toString() : '',
      started: n !== null,
      relayConnected: this.#relayUp,
      peers: this.#book.all().sort((a, b) => (a.id < b.id ? -1 : 1)),
      handlers: [...this.#handlers.keys()].sort(),
      topics: n ? n.services.pubsub.getTopics().sort() : [],
      addrs: n ? n.getMultiaddrs().map(String) : [],
    };
  }

  // ---------------------------------------------------------------- protocols

  /**
   * Sets the handler for a protocol (replacing any previous one). Can be called before or after
   * start(). The handler only ever sees messages that passed their schema.
   */
  handle<P extends ProtocolName>(name: P, handler: Handler<P>): void {
    if (!(name in PROTOCOLS)) throw new MeshConfigError(`unknown protocol ${String(name)}`);
    const had = this.#handlers.has(name);
    this.#handlers.set(name, handler as unknown as Handler<ProtocolName>);
    if (this.#node && !had) void this.#register(name, handler as unknown as Handler<ProtocolName>);
  }

  /** Removes a protocol's handler; peers then get ProtocolNotSupportedError. */
  async unhandle(name: ProtocolName): Promise<void> {
    this.#handlers.delete(name);
    if (this.#node) await this.#node.unhandle(PROTOCOLS[name].id);
  }

  async #register(name: ProtocolName, _h: Handler<ProtocolName>): Promise<void> {
    const p = PROTOCOLS[name];
    await this.#node!.handle(p.id, (stream, conn) => void this.#serve(name, stream, conn), { maxInboundStreams: p.maxInboundStreams, maxOutboundStreams: p.maxInboundStreams });
  }

  async #serve(name: ProtocolName, stream: Stream, conn: Connection): Promise<void> {
    const p = PROTOCOLS[name];
    const peer = conn.remotePeer.toString();
    const reqType = p.request as MessageType;
    stream.maxReadBufferLength = readBufferFor(MAX_MESSAGE_BYTES[reqType]);
    const signal = AbortSignal.any([this.#life.signal, AbortSignal.timeout(this.#opts.inboundTimeoutMs ?? 30_000)]);
    let request;
    try {
      const bytes = await readFrame(stream, { maxBytes: MAX_MESSAGE_BYTES[reqType], signal, what: p.id });
      request = decodeMessage(bytes, [reqType]);
    } catch (e) {
      this.#reject(peer, p.id, e as Error);
      stream.abort(e as Error);
      return;
    }
    const handler = this.#handlers.get(name);
    if (!handler) return stream.abort(new ProtocolNotSupportedError(`${p.id} has no handler`));
    if (p.response === null) {
      // One-way: acknowledge by closing; the handler runs after, its errors stay local.
      void stream.close().catch(() => undefined);
      try {
        await handler(request.msg as never, peer, { signal: this.#life.signal, peer });
      } catch (e) {
        this.#log(peer, `handler for ${p.id} failed: ${(e as Error).message}`);
      }
      return;
    }
    let reply: Uint8Array;
    try {
      const out = await handler(request.msg as never, peer, { signal: this.#life.signal, peer });
      reply = encodeMessage(p.response, out as never);
    } catch (e) {
      const err = e as Error;
      const code = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(err?.name ?? '') ? err.name : 'Error';
      reply = encodeMessage('error', { code, message: String(err?.message ?? err).slice(0, 500) });
    }
    try {
      await writeFrame(stream, reply, this.#life.signal);
      await stream.close({ signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      stream.abort(e as Error);
    }
  }

  #directConnection(peer: string): Connection {
    const node = this.libp2p;
    let id: PeerId;
    try {
      id = peerIdFromString(peer);
    } catch {
      throw new PeerNotConnectedError(peer);
    }
    const conn = node.getConnections(id).find((c) => c.status === 'open' && isDirectAddr(c.remoteAddr));
    if (!conn) throw new PeerNotConnectedError(peer);
    return conn;
  }

  async #exchange(peer: string, name: ProtocolName, msg: unknown, opts: RequestOptions): Promise<unknown> {
    const p = PROTOCOLS[name];
    const payload = encodeMessage(p.request, msg as never); // validates before anything opens
    const conn = this.#directConnection(peer);
    const timeoutMs = opts.timeoutMs ?? this.#opts.requestTimeoutMs ?? 30_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([timeout, this.#life.signal, ...(opts.signal ? [opts.signal] : [])]);
    let stream: Stream | undefined;
    try {
      stream = await conn.newStream(p.id, { signal });
      const respMax = p.response ? Math.max(MAX_MESSAGE_BYTES[p.response], MAX_MESSAGE_BYTES.error) : 0;
      stream.maxReadBufferLength = readBufferFor(respMax);
      await writeFrame(stream, payload, signal);
      await stream.close({ signal });
      if (p.response === null) return undefined;
      let decoded;
      try {
        const bytes = await readFrame(stream, { maxBytes: respMax, signal, what: p.id });
        decoded = decodeMessage(bytes, [p.response, 'error']);
      } catch (e) {
        if (PENALIZED.has((e as Error).name)) this.#reject(peer, p.id, e as Error);
        throw e;
      }
      if (decoded.type === 'error') throw new RemoteError(decoded.msg.code, decoded.msg.message);
      if (decoded.type === 'capability') this.#book.setCapability(peer, decoded.msg);
      return decoded.msg;
    } catch (e) {
      const err = e as Error;
      stream?.abort(err);
      if (timeout.aborted) throw new RequestTimeoutError(`${p.id} to ${peer} got no answer within ${timeoutMs} ms`);
      if (opts.signal?.aborted || this.#life.signal.aborted) throw new RequestAbortedError(`${p.id} to ${peer} was aborted`);
      if (err.name === 'UnsupportedProtocolError') throw new ProtocolNotSupportedError(`${peer} does not handle ${p.id}`);
      throw err;
    }
  }

  /**
   * Sends a request over the direct link to `peer` and returns its typed response. Throws
   * PeerNotConnectedError, RequestTimeoutError, RequestAbortedError, RemoteError (the handler
   * threw; `code` is its name), ProtocolNotSupportedError, MessageEncodeError (our message is
   * invalid) or MessageDecodeError (the peer answered garbage; it is penalized).
   */
  request<P extends RequestProtocol>(peer: string, name: P, msg: RequestOf<P>, opts: RequestOptions = {}): Promise<ResponseOf<P>> {
    return this.#exchange(peer, name, msg, opts) as Promise<ResponseOf<P>>;
  }

  /** Sends a one-way message (resolves once it is handed to the transport). */
  async send<P extends OneWayProtocol>(peer: string, name: P, msg: RequestOf<P>, opts: RequestOptions = {}): Promise<void> {
    await this.#exchange(peer, name, msg, opts);
  }

  // ------------------------------------------------------------------ gossip

  /** Publishes on a topic to every subscribed tab; returns how many peers it was sent to directly. */
  async publish<T extends TopicName>(topic: T, m: TopicMessage<T>): Promise<number> {
    const spec = TOPICS[topic];
    if (!(spec.types as readonly string[]).includes(m.type)) throw new UnexpectedMessageError(`topic '${topic}' does not carry '${m.type}'`);
    const bytes = encodeMessage(m.type, m.msg as never);
    const r = await this.libp2p.services.pubsub.publish(spec.id, bytes);
    return r.recipients.length;
  }

  /** Listens to a topic's valid messages; returns the unsubscribe function. */
  subscribe<T extends TopicName>(topic: T, listener: (m: TopicMessage<T>, from: string) => void): () => void {
    let set = this.#subs.get(topic);
    if (!set) this.#subs.set(topic, (set = new Set()));
    set.add(listener as (m: never, from: string) => void);
    return () => set.delete(listener as (m: never, from: string) => void);
  }

  #topicOf(id: string): TopicName | null {
    for (const [name, spec] of Object.entries(TOPICS)) if (spec.id === id) return name as TopicName;
    return null;
  }

  readonly #validate = (from: PeerId, msg: GossipMessage): TopicValidatorResult => {
    const topic = this.#topicOf(msg.topic);
    if (!topic) return TopicValidatorResult.Ignore;
    try {
      decodeMessage(msg.data, TOPICS[topic].types);
      return TopicValidatorResult.Accept;
    } catch (e) {
      // Rejected messages are not forwarded, and gossipsub scores the peer that sent it to us.
      this.#reject(from.toString(), msg.topic, e as Error);
      return TopicValidatorResult.Reject;
    }
  };

  readonly #onGossip = (e: CustomEvent<GossipMessage>): void => {
    const msg = e.detail;
    const topic = this.#topicOf(msg.topic);
    if (!topic || msg.type !== 'signed') return;
    let decoded;
    try {
      decoded = decodeMessage(msg.data, TOPICS[topic].types);
    } catch {
      return; // already rejected (and logged) by the validator
    }
    const from = msg.from.toString();
    if (decoded.type === 'capability') this.#book.setCapability(from, decoded.msg);
    for (const l of this.#subs.get(topic) ?? []) {
      try {
        (l as (m: unknown, from: string) => void)(decoded, from);
      } catch (err) {
        this.#log(from, `subscriber of ${topic} threw: ${(err as Error).message}`);
      }
    }
  };

  // ------------------------------------------------------- capability, blobs

  /**
   * Sets this tab's capability: answers `/tabmesh/capability` queries with it and gossips it on
   * `capabilities` now and every `capabilityIntervalMs`. Call again whenever it changes.
   */
  async advertise(cap: MessageOf<'capability'>): Promise<void> {
    encodeMessage('capability', cap); // validate now, not in a timer
    this.#capability = cap;
    if (!this.#handlers.has('capability')) this.handle('capability', () => this.#capability!);
    if (!this.#capTimer && this.#node) {
      this.#capTimer = setInterval(() => void this.publish('capabilities', { type: 'capability', msg: this.#capability! }).catch(() => undefined), this.#opts.capabilityIntervalMs ?? 10_000);
    }
    if (this.#node) await this.publish('capabilities', { type: 'capability', msg: cap });
  }

  /**
   * A new tab joined: gossip our capability again shortly (debounced, so a burst of joins costs
   * one message) instead of leaving it to wait for the periodic advertisement.
   */
  #readvertiseSoon(): void {
    if (!this.#capability || this.#readvertise) return;
    this.#readvertise = setTimeout(() => {
      this.#readvertise = null;
      if (this.#node && this.#capability) void this.publish('capabilities', { type: 'capability', msg: this.#capability }).catch(() => undefined);
    }, 1000);
  }

  /** Serves blobs from `source` on `/tabmesh/blob/1.0.0`. */
  serveBlobs(source: BlobSource): void {
    this.handle('blob', (req) => serveChunk(source, req));
  }

  /**
   * Fetches a blob by sha-256 from `peer`, chunk by chunk, and verifies it. A peer that sends
   * inconsistent chunks or bytes that do not hash to `hash` is penalized.
   */
  async fetchBlob(peer: string, hash: string, opts: FetchBlobOptions = {}): Promise<Uint8Array> {
    try {
      return await fetchBlobChunks((req, o) => this.request(peer, 'blob', req, { ...(o.signal ? { signal: o.signal } : {}), timeoutMs: o.timeoutMs }), hash, opts);
    } catch (e) {
      const err = e as Error;
      if (err.name === 'BlobHashMismatchError' || (err.name === 'MessageDecodeError' && (err as MessageDecodeError).field.startsWith('blob-chunk'))) this.#reject(peer, PROTOCOLS.blob.id, err);
      throw err;
    }
  }

  // ------------------------------------------------------------- internals

  #reject(peer: string, where: string, err: Error): void {
    const name = err?.name ?? 'Error';
    if (!PENALIZED.has(name)) {
      // Resets, timeouts and aborts are the network's doing, not an offence.
      this.#log(peer, `dropped ${where}: ${name}: ${err?.message}`);
      return;
    }
    this.#rejected++;
    const { score, banned } = this.#book.penalize(peer, `${where}: ${err.message}`);
    this.#log(peer, `rejected ${where} from ${peer}: ${name}: ${err.message} (score ${score})`);
    this.#emit('reject', { peer, where, error: name, reason: err.message, score });
    if (banned) {
      this.#log(peer, `peer ${peer} banned (score ${score})`);
      this.#emit('peer:banned', this.#book.get(peer)!);
      void this.#node?.hangUp(peerIdFromString(peer)).catch(() => undefined);
    }
  }

  #log(peer: string, line: string): void {
    if (this.#opts.log) return this.#opts.log(line);
    const now = Date.now();
    if (now - (this.#lastLog.get(peer) ?? 0) < 1000) return;
    this.#lastLog.set(peer, now);
    console.warn(`[mesh] ${line}`);
  }

  #refreshPeer(id: string): void {
    const node = this.#node;
    if (!node || this.#relayIds.has(id)) return;
    const conns = node.getConnections(peerIdFromString(id)).filter((c) => c.status === 'open');
    const direct = conns.some((c) => isDirectAddr(c.remoteAddr));
    const was = this.#directNow.has(id);
    const rec = this.#book.upsert(id, { direct, connected: conns.length > 0 });
    if (direct && !was) {
      this.#directNow.add(id);
      this.#emit('peer:connect', rec);
      this.#readvertiseSoon();
    } else if (!direct && was) {
      this.#directNow.delete(id);
      this.#emit('peer:disconnect', rec);
    }
  }

  readonly #onConnOpen = (e: CustomEvent<Connection>): void => {
    const id = e.detail.remotePeer.toString();
    if (this.#relayIds.has(id)) this.#setRelay();
    else this.#refreshPeer(id);
  };

  readonly #onConnClose = (e: CustomEvent<Connection>): void => {
    const id = e.detail.remotePeer.toString();
    // The closing connection may still be listed with status 'closing': #refreshPeer only counts 'open'.
    if (this.#relayIds.has(id)) this.#setRelay();
    else this.#refreshPeer(id);
  };

  #setRelay(): void {
    const node = this.#node;
    const up = !!node && node.getConnections().some((c) => c.status === 'open' && this.#relayIds.has(c.remotePeer.toString()));
    if (up !== this.#relayUp) {
      this.#relayUp = up;
      this.#emit('relay', { connected: up });
    }
  }

  async #ensureRelay(): Promise<void> {
    const node = this.#node;
    if (!node || this.#relayUp) return;
    for (const r of this.#relays) {
      try {
        await node.dial(r, { signal: AbortSignal.any([this.#life.signal, AbortSignal.timeout(10_000)]) });
        this.#setRelay();
        return;
      } catch (e) {
        this.#log('relay', `relay ${r.toString()} unreachable: ${(e as Error).message}`);
      }
    }
  }
}
