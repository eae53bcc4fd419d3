/**
 * The relay as a component: starts on a free loopback port, advertises a dialable WebSocket
 * multiaddr with its peer id, serves the circuit-relay hop protocol, subscribes to every
 * application topic, and stops cleanly.
 */
import '../../../scripts/node-polyfills.ts';
import { describe, expect, it } from 'vitest';
import { Relay } from '../../../scripts/relay.ts';
import { ALL_TOPIC_IDS } from '../../../src/mesh/messages.ts';
import { parseRelayAddrs } from '../../../src/mesh/config.ts';

describe('Relay', () => {
  it('starts on port 0, prints a usable multiaddr, relays, gossips every app topic, stops', async () => {
    const relay = new Relay({ port: 0 });
    await relay.start();
    try {
      expect(relay.multiaddr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3KooW\w+$/);
      expect(relay.multiaddr).not.toMatch(/\/tcp\/0\//);
      expect(parseRelayAddrs(relay.multiaddr)).toHaveLength(1);
      expect(relay.libp2p.getProtocols()).toContain('/libp2p/circuit/relay/0.2.0/hop');
      expect(relay.libp2p.services.pubsub.getTopics().sort()).toEqual([...ALL_TOPIC_IDS].sort());
    } finally {
      await relay.stop();
    }
    expect(relay.started).toBe(false);
    expect(() => relay.multiaddr).toThrow(/relay is not started/);
  });

  it('rejects malformed relay addresses with a clear error', () => {
    expect(() => parseRelayAddrs('')).toThrow(/relay address list is empty/);
    expect(() => parseRelayAddrs('/ip4/127.0.0.1/tcp/1/ws')).toThrow(/must end in \/p2p\/<relay peer id>/);
    expect(() => parseRelayAddrs('not a multiaddr')).toThrow(/is not a multiaddr/);
  });
});
