/**
 * The dial loop: turns every discovered tab into a direct WebRTC link, and keeps trying.
 *
 * Why each rule:
 * - Dial `<relay>/p2p-circuit/webrtc/p2p/<peer>` with `force: true`. The peer store drops the
 *   trailing `/p2p/<peer>` (a plain dial of the stored address would target the relay), and
 *   without `force` libp2p may hand back the existing relayed connection instead of a new one.
 * - Only the peer with the lower id dials at first, so two tabs do not race two WebRTC
 *   handshakes against each other (glare). If the link is still missing `symmetricAfterMs` after
 *   discovery (the other side may not have discovered us), both sides dial.
 * - Failures back off per peer (1 s, 2 s, 4 s, capped at 8 s); a periodic sweep over the peer
 *   store retries, so one lost discovery message or failed dial never leaves a pair unlinked.
 *
 * @example
 * const loop = new DialLoop(libp2p, relays, { isDirect: (p) => ..., isBanned: (p) => false });
 * loop.start();
 * // ...
 * loop.stop();
 */
import type { PeerId } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { relayPeerId, type MeshLibp2p } from './config.ts';

export interface DialLoopOptions {
  /** True when there is already a direct link to the peer. */
  isDirect: (peer: string) => boolean;
  isBanned: (peer: string) => boolean;
  /** Sweep interval, ms. Default 1000. */
  sweepMs?: number;
  /** Per-dial timeout, ms. Default 15 000. */
  dialTimeoutMs?: number;
  /** After this long without a link, the higher-id side dials too. Default 4000. */
  symmetricAfterMs?: number;
}

/** Outcome counters, for tests and the network view. */
export interface DialStats {
  attempts: number;
  ok: number;
  failed: number;
  /** Time to a direct link for each successful dial, ms. */
  okMs: number[];
  /** The last few distinct failure messages. */
  errors: string[];
}

interface PeerDialState {
  firstSeen: number;
  failures: number;
  nextAt: number;
  addrs: string[];
}

export class DialLoop {
  readonly #node: MeshLibp2p;
  readonly #relays: Multiaddr[];
  readonly #opts: Required<DialLoopOptions>;
  readonly #state = new Map<string, PeerDialState>();
  readonly #dialing = new Set<string>();
  readonly #relayIds: Set<string>;
  #timer: ReturnType<typeof setInterval> | null = null;
  #abort = new AbortController();
  readonly stats: DialStats = { attempts: 0, ok: 0, failed: 0, okMs: [], errors: [] };

  constructor(node: MeshLibp2p, relays: Multiaddr[], opts: DialLoopOptions) {
    this.#node = node;
    this.#relays = relays;
    this.#relayIds = new Set(relays.map((r) => relayPeerId(r)!).filter(Boolean));
    this.#opts = { sweepMs: 1000, dialTimeoutMs: 15_000, symmetricAfterMs: 4000, ...opts };
  }

  readonly #onDiscovery = (e: CustomEvent<{ id: PeerId; multiaddrs: Multiaddr[] }>): void => {
    this.#seen(e.detail.id.toString(), e.detail.multiaddrs);
  };
  readonly #onPeerUpdate = (e: CustomEvent<{ peer: { id: PeerId; addresses: { multiaddr: Multiaddr }[] } }>): void => {
    this.#seen(e.detail.peer.id.toString(), e.detail.peer.addresses.map((a) => a.multiaddr));
  };

  start(): void {
    if (this.#timer) return;
    this.#abort = new AbortController();
    this.#node.addEventListener('peer:discovery', this.#onDiscovery);
    this.#node.addEventListener('peer:update', this.#onPeerUpdate);
    this.#timer = setInterval(() => void this.#sweep(), this.#opts.sweepMs);
  }

  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = null;
    this.#abort.abort();
    this.#node.removeEventListener('peer:discovery', this.#onDiscovery);
    this.#node.removeEventListener('peer:update', this.#onPeerUpdate);
  }

  #seen(pid: string, addrs: Multiaddr[]): void {
    if (pid === this.#node.peerId.toString() || this.#relayIds.has(pid)) return;
    const circuit = addrs.map(String).filter((a) => a.includes('/p2p-circuit/webrtc'));
    const s = this.#state.get(pid);
    if (s) {
      if (circuit.length) s.addrs = circuit;
    } else {
      // Only tabs advertise /p2p-circuit/webrtc: anything else (the relay, a non-tab peer) is not dialled.
      if (circuit.length === 0) return;
      this.#state.set(pid, { firstSeen: Date.now(), failures: 0, nextAt: 0, addrs: circuit });
    }
    this.#maybeDial(pid);
  }

  async #sweep(): Promise<void> {
    try {
      for (const p of await this.#node.peerStore.all()) this.#seen(p.id.toString(), p.addresses.map((a) => a.multiaddr));
    } catch {
      // peer store closed while stopping
    }
  }

  /** The addresses to try, the peer's own advertised circuit addresses first, then ours. */
  #targets(pid: string, s: PeerDialState): string[] {
    const own = s.addrs.map((a) => (a.endsWith(`/p2p/${pid}`) ? a : `${a}/p2p/${pid}`));
    const ours = this.#relays.map((r) => `${r.toString()}/p2p-circuit/webrtc/p2p/${pid}`);
    return [...new Set([...own, ...ours])];
  }

  #maybeDial(pid: string): void {
    const s = this.#state.get(pid);
    if (!s || !this.#timer || this.#dialing.has(pid) || this.#opts.isDirect(pid) || this.#opts.isBanned(pid)) return;
    const now = Date.now();
    if (now < s.nextAt) return;
    const me = this.#node.peerId.toString();
    if (me > pid && now - s.firstSeen < this.#opts.symmetricAfterMs) return;
    const targets = this.#targets(pid, s);
    const target = targets[s.failures % targets.length]!;
    this.#dialing.add(pid);
    this.stats.attempts++;
    const t0 = performance.now();
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#opts.dialTimeoutMs)]);
    this.#node
      .dial(multiaddr(target), { signal, force: true })
      .then(() => {
        this.stats.ok++;
        this.stats.okMs.push(Math.round(performance.now() - t0));
        s.failures = 0;
      })
      .catch((err: Error) => {
        if (this.#abort.signal.aborted) return;
        this.stats.failed++;
        s.failures++;
        s.nextAt = Date.now() + Math.min(1000 * 2 ** (s.failures - 1), 8000);
        const msg = `${err.name}: ${err.message}`.slice(0, 200);
        if (!this.stats.errors.includes(msg)) this.stats.errors = [...this.stats.errors.slice(-9), msg];
      })
      .finally(() => this.#dialing.delete(pid));
  }

  /** Forgets a peer's backoff (it left; a rejoin is a fresh start). */
  forget(pid: string): void {
    this.#state.delete(pid);
  }
}
