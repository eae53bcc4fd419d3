/**
 * The requester's two mappings between the mesh and the jobs layer, kept pure so node tests run
 * them without a browser:
 *
 * - `workerOffers`: the direct peers with free slots whose *operator* has the minimum stake
 *   (the operator signs claims and is what equivocation slashes), each offer carrying both the
 *   operator (JobRun checks claims against it) and the *payout* address (where receipts pay);
 * - `receiptCredits`: a finished job's credited units per worker, addressed to each worker's
 *   payout address as recorded when it was assigned (nothing for a worker a spot check caught).
 *
 * @example
 * const offers = workerOffers(mesh.peers(), (operator) => payments.eligibleSeen(operator));
 * await payments.payWorkers(receiptCredits(result), pricePerUnit);
 */
import type { MeshPeer } from '../mesh/index.ts';
import type { JobResult, WorkerOffer } from '../jobs/types.ts';

/** Offers from peers' capabilities; `eligible(operator)` filters on stake (omit it without a chain). */
export function workerOffers(peers: readonly MeshPeer[], eligible?: (operator: string) => boolean): WorkerOffer[] {
  const out: WorkerOffer[] = [];
  for (const p of peers) {
    const c = p.capability;
    if (!p.direct || !c || c.freeSlots < 1) continue;
    if (eligible && !eligible(c.operator)) continue;
    out.push({ peer: p.id, operator: c.operator, payout: c.payout, slots: c.freeSlots, priceFloor: c.priceFloor, gflops: c.gflops });
  }
  return out;
}

/**
 * One credit per credited worker, paying its payout address. Skipped: workers whose offer was
 * never seen, and workers a spot check caught (their result disagreed with the requester's own
 * run): they forfeit the whole job's pay, which is what makes colluding replicas and lazy answers
 * lose money at the default spot-check rate (src/economy/README.md, attacks).
 */
export function receiptCredits(r: Pick<JobResult, 'credits' | 'perWorker'>): { peer: string; units: number; address: string }[] {
  return Object.entries(r.credits)
    .filter(([peer]) => (r.perWorker[peer]?.spotCheckFailed ?? 0) === 0)
    .map(([peer, units]) => ({ peer, units, address: r.perWorker[peer]?.payout ?? '' }))
    .filter((c) => c.address !== '');
}
