/**
 * The browser node's libp2p configuration, and where the relay address comes from.
 *
 * What each choice is for (measured in Chromium, see DESIGN.md "The mesh"):
 * - transports: WebSockets to reach the relay, circuit-relay-v2 to be reachable through it (its
 *   reservation is what signalling rides on), WebRTC for the direct tab-to-tab links.
 * - listen on `/p2p-circuit` (take a reservation on the relay) and `/webrtc` (accept WebRTC
 *   dials signalled over that reservation).
 * - `rtcConfiguration.iceServers` defaults to none: libp2p's default is a list of public STUN
 *   servers, which a local network neither needs nor may reach. Production passes its STUN/TURN.
 * - the connection gater: the browser default refuses `ws://` and loopback/private addresses,
 *   which is exactly what a local relay is. Banned peers (see PeerBook) are refused here too.
 */
import { createLibp2p, type Libp2p } from 'libp2p';
import { webSockets } from '@libp2p/websockets';
import { webRTC } from '@libp2p/webrtc';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import { ping, type Ping } from '@libp2p/ping';
import { gossipsub, type GossipSub } from '@libp2p/gossipsub';
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { PeerId } from '@libp2p/interface';
import { MeshConfigError } from './errors.ts';
import { DISCOVERY_TOPIC, MAX_GOSSIP_BYTES } from './messages.ts';

export type MeshServices = { identify: Identify; ping: Ping; pubsub: GossipSub };
export type MeshLibp2p = Libp2p<MeshServices>;

export interface MeshLibp2pOptions {
  /** ICE servers for WebRTC. Default `[]` (host candidates only: a local network). */
  iceServers?: RTCIceServer[];
  /** How often this tab announces itself on the discovery topic, ms. Default 1000. */
  discoveryIntervalMs?: number;
  /** Connection-monitor ping interval, ms. Default 10 000 (libp2p's); shorter aborts busy WebRTC links. */
  monitorIntervalMs?: number;
  /** Refuse a peer (PeerBook bans). */
  isBanned?: (peer: PeerId) => boolean;
}

/** Creates (does not start) the libp2p node for one tab. */
export async function createMeshLibp2p(opts: MeshLibp2pOptions = {}): Promise<MeshLibp2p> {
  const isBanned = opts.isBanned ?? (() => false);
  return createLibp2p({
    start: false,
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [webSockets(), webRTC({ rtcConfiguration: { iceServers: opts.iceServers ?? [] } }), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      // Allow loopback/private ws:// (the local relay); the default browser gater refuses both.
      denyDialMultiaddr: () => false,
      denyDialPeer: (peer) => isBanned(peer),
      denyInboundEncryptedConnection: (peer) => isBanned(peer),
      denyOutboundEncryptedConnection: (peer) => isBanned(peer),
      denyInboundRelayedConnection: (_relay, peer) => isBanned(peer),
    },
    connectionMonitor: { pingInterval: opts.monitorIntervalMs ?? 10_000 },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        // Gossip carries only small control messages; bulk data goes over streams.
        maxInboundDataLength: Math.max(64 * 1024, MAX_GOSSIP_BYTES * 4),
      }),
    },
    peerDiscovery: [pubsubPeerDiscovery({ interval: opts.discoveryIntervalMs ?? 1000, topics: [DISCOVERY_TOPIC] })],
  }) as Promise<MeshLibp2p>;
}

/**
 * Parses relay multiaddrs (comma or whitespace separated). Each must end in `/p2p/<relay peer id>`:
 * the dial loop builds `<relay>/p2p-circuit/webrtc/p2p/<peer>` from it.
 *
 * @example
 * parseRelayAddrs('/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooW...');
 */
export function parseRelayAddrs(text: string): Multiaddr[] {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) throw new MeshConfigError('relay address list is empty');
  return parts.map((p) => {
    let ma: Multiaddr;
    try {
      ma = multiaddr(p);
    } catch (e) {
      throw new MeshConfigError(`relay address ${JSON.stringify(p)} is not a multiaddr: ${(e as Error).message}`);
    }
    if (relayPeerId(ma) === null) throw new MeshConfigError(`relay address ${p} must end in /p2p/<relay peer id>`);
    return ma;
  });
}

/** The peer id in a multiaddr's last `/p2p/` component, or null. */
export function relayPeerId(ma: Multiaddr): string | null {
  const m = /\/p2p\/([^/]+)$/.exec(ma.toString());
  return m ? m[1]! : null;
}

/**
 * Where the page finds its relay, first match wins:
 * 1. the `relay` query parameter of the page URL (tests and ad-hoc use);
 * 2. `VITE_TABMESH_RELAY` at build/serve time (`npm start` sets it to the relay it just started;
 *    a production build sets it to a public relay).
 * Returns null when neither is set.
 */
export function configuredRelayAddrs(search: string = globalThis.location?.search ?? ''): Multiaddr[] | null {
  const fromUrl = new URLSearchParams(search).get('relay');
  if (fromUrl) return parseRelayAddrs(fromUrl);
  const fromEnv = (import.meta.env?.VITE_TABMESH_RELAY as string | undefined) ?? '';
  return fromEnv ? parseRelayAddrs(fromEnv) : null;
}

/** A connection is a direct tab-to-tab link when its remote address is a WebRTC one. */
export function isDirectAddr(remoteAddr: Multiaddr): boolean {
  return remoteAddr.toString().includes('/webrtc');
}
