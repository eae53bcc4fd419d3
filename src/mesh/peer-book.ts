/**
 * What this tab knows about other tabs: whether each is linked directly, when it joined, its last
 * capability advertisement, and a behaviour score that drops with every malformed, oversized or
 * unexpected message it sends. Below `disconnectBelow` a peer is banned for `banMs` (the mesh
 * node then closes its connections and the connection gater refuses it).
 *
 * Pure data, no libp2p: the mesh node feeds it events, and tests can drive it directly. It tells
 * listeners when a peer's advertised capability changes (the mesh node re-emits that as
 * `peer:capability`); re-advertising the same capability is not a change.
 *
 * @example
 * const book = new PeerBook({ penalty: 10, disconnectBelow: -50, banMs: 60_000 });
 * book.upsert('12D3Koo...', { direct: true });
 * const off = book.onCapability(({ peer, previous }) => console.log(peer.id, previous?.freeSlots, '→', peer.capability!.freeSlots));
 * book.setCapability('12D3Koo...', cap);                        // true: first advert, listeners called
 * const { banned } = book.penalize('12D3Koo...', 'unit-assign.batch is 0');
 */
import type { MessageOf } from './messages.ts';

export interface PeerBookOptions {
  /** Score lost per offence. Default 10. */
  penalty?: number;
  /** A score strictly below this bans the peer. Default -50 (the 6th offence). Use -Infinity to never ban. */
  disconnectBelow?: number;
  /** How long a ban lasts. Default 10 minutes. */
  banMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** One peer as the jobs layer sees it. */
export interface MeshPeer {
  /** libp2p peer id (base58 string). */
  id: string;
  /** Connected now over at least one direct WebRTC link. */
  direct: boolean;
  /** Connected now at all (a relayed link counts; only direct links carry protocols). */
  connected: boolean;
  /** ms since epoch the first direct link opened (or null). */
  directSince: number | null;
  /** Behaviour score: 0 is neutral, each offence subtracts the penalty. */
  score: number;
  offences: number;
  lastOffence: string | null;
  /** The peer's latest capability advertisement (gossip or query), if any. */
  capability: MessageOf<'capability'> | null;
  capabilityAt: number | null;
  /** Ban expiry (ms since epoch) or null. */
  bannedUntil: number | null;
}

/** A peer's advertised capability changed: `peer` holds the new one, `previous` the one before (null for the first). */
export interface CapabilityChange {
  peer: MeshPeer;
  previous: MessageOf<'capability'> | null;
}

function sameCapability(a: MessageOf<'capability'>, b: MessageOf<'capability'>): boolean {
  return (
    a.adapter === b.adapter &&
    a.gflops === b.gflops &&
    a.freeSlots === b.freeSlots &&
    a.priceFloor === b.priceFloor &&
    a.payout === b.payout &&
    a.operator === b.operator &&
    a.models.length === b.models.length &&
    a.models.every((m, i) => m === b.models[i])
  );
}

function blank(id: string): MeshPeer {
  return { id, direct: false, connected: false, directSince: null, score: 0, offences: 0, lastOffence: null, capability: null, capabilityAt: null, bannedUntil: null };
}

export class PeerBook {
  readonly #peers = new Map<string, MeshPeer>();
  readonly #penalty: number;
  readonly #disconnectBelow: number;
  readonly #banMs: number;
  readonly #now: () => number;
  readonly #capabilityListeners = new Set<(change: CapabilityChange) => void>();

  constructor(opts: PeerBookOptions = {}) {
    this.#penalty = opts.penalty ?? 10;
    this.#disconnectBelow = opts.disconnectBelow ?? -50;
    this.#banMs = opts.banMs ?? 10 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** A copy of one peer's record, or undefined. */
  get(id: string): MeshPeer | undefined {
    const p = this.#peers.get(id);
    return p ? { ...p } : undefined;
  }

  /** Copies of all records (peers that left stay, with `connected: false`, so their score survives a reconnect). */
  all(): MeshPeer[] {
    return [...this.#peers.values()].map((p) => ({ ...p }));
  }

  /** Updates link state; returns the record after the change. */
  upsert(id: string, patch: Partial<Pick<MeshPeer, 'direct' | 'connected'>>): MeshPeer {
    const p = this.#peers.get(id) ?? blank(id);
    if (patch.direct === true && !p.direct) p.directSince = this.#now();
    if (patch.direct === false) p.directSince = null;
    Object.assign(p, patch);
    if (p.direct) p.connected = true;
    this.#peers.set(id, p);
    return { ...p };
  }

  /**
   * Records a capability advertisement. Returns whether it changed the peer's capability (its first
   * advert, or any field different); only then are the {@link onCapability} listeners called.
   */
  setCapability(id: string, cap: MessageOf<'capability'>): boolean {
    const p = this.#peers.get(id) ?? blank(id);
    const previous = p.capability;
    p.capability = cap;
    p.capabilityAt = this.#now();
    this.#peers.set(id, p);
    if (previous && sameCapability(previous, cap)) return false;
    const change: CapabilityChange = { peer: { ...p }, previous };
    for (const l of [...this.#capabilityListeners]) l(change);
    return true;
  }

  /** Calls `listener` whenever a peer's capability changes; returns the function that removes it. */
  onCapability(listener: (change: CapabilityChange) => void): () => void {
    this.#capabilityListeners.add(listener);
    return () => this.#capabilityListeners.delete(listener);
  }

  /** Records an offence. `banned` is true when this offence crossed the threshold. */
  penalize(id: string, reason: string): { score: number; banned: boolean } {
    const p = this.#peers.get(id) ?? blank(id);
    p.score -= this.#penalty;
    p.offences += 1;
    p.lastOffence = reason.slice(0, 300);
    this.#peers.set(id, p);
    const banned = p.score < this.#disconnectBelow && !this.isBanned(id);
    if (banned) p.bannedUntil = this.#now() + this.#banMs;
    return { score: p.score, banned };
  }

  isBanned(id: string): boolean {
    const until = this.#peers.get(id)?.bannedUntil;
    return until != null && until > this.#now();
  }
}
