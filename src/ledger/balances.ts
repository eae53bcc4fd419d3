/**
 * Balances as a pure function of a receipt set and the chain state: no arrival order, no clock.
 * For each pair the receipt that counts is the one with the highest `cumulativeAmount` (so a set
 * holding superseded receipts too gives the same answer as the latest ones alone); a pair's
 * pending amount is `max(0, cumulativeAmount − settledAmount)`. Every map is keyed in sorted order.
 * Amounts are gross (before the fee split: RULES.md `splitFee` applies per settlement on-chain).
 *
 * @example
 * const b = computeBalances(await store.listReceipts(), await store.getChainState());
 * b.workers['0xabc…']?.pending; // wei owed to the worker, not yet settled
 */
import type { Address } from 'viem';
import { pairKey, type PairKey, type Receipt } from './receipt.ts';
import type { ChainSnapshot } from './store.ts';

export interface WorkerBalance {
  /** Σ over pairs of max(receipt cumulative, settled): everything this worker was promised. */
  earned: bigint;
  settled: bigint;
  pending: bigint;
  /** Σ cumulativeWork of the counted receipts (or settled work where higher). */
  work: bigint;
}

export interface RequesterBalance {
  escrow: bigint;
  /** Σ pending of its pairs: what its receipts promise beyond what is settled. */
  owed: bigint;
  settled: bigint;
  /** escrow − owed (negative when the chain's escrow fell below what is promised, e.g. a withdrawal). */
  available: bigint;
}

export interface Balances {
  workers: Record<Address, WorkerBalance>;
  requesters: Record<Address, RequesterBalance>;
  totals: { pending: bigint; settled: bigint; escrow: bigint; pairs: number };
}

export type ComputeBalancesParameters = [receipts: Iterable<Receipt>, chain: Pick<ChainSnapshot, 'escrows' | 'settled'>];

export function computeBalances(...[receipts, chain]: ComputeBalancesParameters): Balances {
  const latest = new Map<PairKey, Receipt>();
  for (const r of receipts) {
    const k = pairKey(r.requester.toLowerCase() as Address, r.worker.toLowerCase() as Address);
    const prev = latest.get(k);
    if (!prev || r.cumulativeAmount > prev.cumulativeAmount || (r.cumulativeAmount === prev.cumulativeAmount && r.cumulativeWork > prev.cumulativeWork)) latest.set(k, r);
  }
  const settled = new Map<PairKey, { amount: bigint; work: bigint }>();
  for (const s of chain.settled) settled.set(pairKey(s.requester, s.worker), { amount: s.amount, work: s.work });

  const workers = new Map<Address, WorkerBalance>();
  const requesters = new Map<Address, RequesterBalance>();
  const worker = (a: Address) => {
    let w = workers.get(a);
    if (!w) workers.set(a, (w = { earned: 0n, settled: 0n, pending: 0n, work: 0n }));
    return w;
  };
  const requester = (a: Address) => {
    let r = requesters.get(a);
    if (!r) requesters.set(a, (r = { escrow: 0n, owed: 0n, settled: 0n, available: 0n }));
    return r;
  };
  const keys = new Set<PairKey>([...latest.keys(), ...settled.keys()]);
  let pendingTotal = 0n;
  let settledTotal = 0n;
  for (const k of keys) {
    const [req, wrk] = k.split(':') as [Address, Address];
    const r = latest.get(k);
    const s = settled.get(k) ?? { amount: 0n, work: 0n };
    const cum = r?.cumulativeAmount ?? 0n;
    const pending = cum > s.amount ? cum - s.amount : 0n;
    const w = worker(wrk);
    w.earned += cum > s.amount ? cum : s.amount;
    w.settled += s.amount;
    w.pending += pending;
    const cw = r?.cumulativeWork ?? 0n;
    w.work += cw > s.work ? cw : s.work;
    const q = requester(req);
    q.owed += pending;
    q.settled += s.amount;
    pendingTotal += pending;
    settledTotal += s.amount;
  }
  let escrowTotal = 0n;
  for (const e of chain.escrows) {
    requester(e.requester).escrow = e.amount;
    escrowTotal += e.amount;
  }
  for (const q of requesters.values()) q.available = q.escrow - q.owed;
  const sorted = <V>(m: Map<Address, V>): Record<Address, V> => {
    const out = {} as Record<Address, V>;
    for (const k of [...m.keys()].sort()) out[k] = m.get(k)!;
    return out;
  };
  return { workers: sorted(workers), requesters: sorted(requesters), totals: { pending: pendingTotal, settled: settledTotal, escrow: escrowTotal, pairs: latest.size } };
}
