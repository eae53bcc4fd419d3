/**
 * The tabmesh relay: the one node-side libp2p peer. It bootstraps and signals, nothing more.
 *
 * - WebSockets on 127.0.0.1 (configurable host/port; port 0 picks a free one): tabs dial it.
 * - circuit-relay-v2 server: tabs take a reservation and are reachable at
 *   `<relay>/p2p-circuit/p2p/<tab>`; WebRTC signalling (SDP, ICE) rides on those relayed
 *   streams, then tabs talk over direct WebRTC. Default per-reservation data/time limits stay on
 *   (signalling needs little); the reservation count is raised for many tabs.
 * - gossipsub subscribed to every application topic and the discovery topic, because gossipsub
 *   only forwards topics a node subscribes to. It validates application messages with the same
 *   codec as the tabs and drops malformed ones instead of forwarding them.
 * - no application protocols: a running exchange between tabs keeps going if the relay stops.
 *
 * Run alone: `node --import tsx scripts/relay.ts [--port 9090] [--host 127.0.0.1]` prints
 * `RELAY_ADDR <multiaddr>`. `npm start` runs it in-process before Vite.
 *
 * @example
 * const relay = new Relay({ port: 0 });
 * await relay.start();
 * console.log(relay.multiaddr); // /ip4/127.0.0.1/tcp/41234/ws/p2p/12D3KooW...
 * await relay.stop();
 */
import './node-polyfills.ts';
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import { ping, type Ping } from '@libp2p/ping';
import { circuitRelayServer, type CircuitRelayService } from '@libp2p/circuit-relay-v2';
import { gossipsub, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub';
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ALL_TOPIC_IDS, DISCOVERY_TOPIC, TOPICS, decodeMessage, MAX_GOSSIP_BYTES } from '../src/mesh/messages.ts';

export interface RelayOptions {
  /** TCP port for WebSockets; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1 (local network only). */
  host?: string;
  /** Concurrent circuit-relay reservations (one per tab). Default 512. */
  maxReservations?: number;
  /** Log peer connects/disconnects to stderr. */
  verbose?: boolean;
}

type RelayServices = { identify: Identify; ping: Ping; relay: CircuitRelayService; pubsub: GossipSub };

/** The relay is not running. */
export class RelayNotStartedError extends Error {
  override readonly name = 'RelayNotStartedError';
  constructor() {
    super('relay is not started');
  }
}

export class Relay {
  readonly #opts: RelayOptions;
  #node: Libp2p<RelayServices> | null = null;

  constructor(opts: RelayOptions = {}) {
    this.#opts = opts;
  }

  get started(): boolean {
    return this.#node !== null;
  }

  /** Every listening multiaddr, each ending in /p2p/<relay peer id>. */
  get multiaddrs(): string[] {
    if (!this.#node) throw new RelayNotStartedError();
    return this.#node.getMultiaddrs().map(String);
  }

  /** The WebSocket multiaddr tabs dial (what `?relay=` and VITE_TABMESH_RELAY take). */
  get multiaddr(): string {
    const ws = this.multiaddrs.find((a) => a.includes('/ws'));
    if (!ws) throw new RelayNotStartedError();
    return ws;
  }

  get peerId(): string {
    if (!this.#node) throw new RelayNotStartedError();
    return this.#node.peerId.toString();
  }

  /** The libp2p node (tests inspect connections). */
  get libp2p(): Libp2p<RelayServices> {
    if (!this.#node) throw new RelayNotStartedError();
    return this.#node;
  }

  async start(): Promise<void> {
    if (this.#node) return;
    const host = this.#opts.host ?? '127.0.0.1';
    const port = this.#opts.port ?? 0;
    const node = await createLibp2p({
      addresses: { listen: [`/ip4/${host}/tcp/${port}/ws`] },
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      // Every local tab connects from 127.0.0.1: the default per-host inbound rate limit (5/s)
      // would refuse tabs opened together.
      connectionManager: { maxConnections: 2000, inboundConnectionThreshold: 1000, maxIncomingPendingConnections: 500 },
      services: {
        identify: identify(),
        ping: ping(),
        relay: circuitRelayServer({ reservations: { maxReservations: this.#opts.maxReservations ?? 512 } }),
        pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false, maxInboundDataLength: Math.max(64 * 1024, MAX_GOSSIP_BYTES * 4) }),
      },
      // The relay takes part in discovery (listen only) so tabs learn about each other through it
      // before any direct link exists.
      peerDiscovery: [pubsubPeerDiscovery({ interval: 1000, topics: [DISCOVERY_TOPIC], listenOnly: true })],
    });
    const pubsub = node.services.pubsub;
    for (const topic of Object.values(TOPICS)) {
      pubsub.topicValidators.set(topic.id, (_from, msg) => {
        try {
          decodeMessage(msg.data, topic.types);
          return TopicValidatorResult.Accept;
        } catch {
          return TopicValidatorResult.Reject;
        }
      });
    }
    if (this.#opts.verbose) {
      node.addEventListener('peer:connect', (e) => console.error('relay: peer connected', e.detail.toString()));
      node.addEventListener('peer:disconnect', (e) => console.error('relay: peer disconnected', e.detail.toString()));
    }
    await node.start();
    for (const t of ALL_TOPIC_IDS) pubsub.subscribe(t);
    this.#node = node;
  }

  /** Stops the relay. Tabs already linked over WebRTC keep their links. */
  async stop(): Promise<void> {
    const node = this.#node;
    this.#node = null;
    await node?.stop();
  }
}

// Run as a script: print the address, stop on SIGINT/SIGTERM.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' }, verbose: { type: 'boolean', default: false } } });
  const relay = new Relay({ port: Number(values.port), host: values.host, verbose: values.verbose });
  await relay.start();
  console.log('RELAY_ADDR', relay.multiaddr);
  const stop = async () => {
    await relay.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
