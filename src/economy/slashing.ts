/**
 * Slashing on provable faults only (RULES.md, Slashing): equivocation evidence (two valid
 * signed claims by one operator with different output hashes for the same unit) and the slash
 * amounts. Outvoted replicas are never slashed: the chain cannot re-run inference.
 *
 * @example
 * const key = ClaimKey.generate();
 * const ev = { operator: key.address, jobId, unitIndex: 7, hashA, sigA: key.sign({ jobId, unitIndex: 7, outputHash: hashA }),
 *              hashB, sigB: key.sign({ jobId, unitIndex: 7, outputHash: hashB }) };
 * verifyEquivocation(ev);                    // key.address
 * slashAmounts(1_000n, 5_000n, 2_000n);      // { slashed: 500n, reporterReward: 100n, burned: 400n }
 */
import { ClaimError } from '../jobs/errors.ts';
import { recoverClaimSigner } from '../jobs/claim.ts';
import { InvalidEvidenceError } from './errors.ts';
import { BPS } from './params.ts';

export interface EquivocationEvidence {
  /** The accused claim-signing address (lowercase `0x…`). */
  operator: string;
  /** 64 lowercase hex. */
  jobId: string;
  unitIndex: number;
  /** 64 lowercase hex each, different. */
  hashA: string;
  sigA: Uint8Array;
  hashB: string;
  sigB: Uint8Array;
}

/** Key of the "slashed before" set: one slash per (operator, jobId, unit). */
export function offenceKey(e: Pick<EquivocationEvidence, 'operator' | 'jobId' | 'unitIndex'>): string {
  return `${e.operator.toLowerCase()}|${e.jobId}|${e.unitIndex}`;
}

/**
 * What `reportEquivocation` checks about the evidence: hashes differ, both signatures are low-s
 * with v ∈ {27, 28} and recover `operator` over the claim digest. Returns the operator
 * (lowercase); throws InvalidEvidenceError naming the failing field otherwise.
 */
export function verifyEquivocation(e: EquivocationEvidence): string {
  const operator = String(e.operator).toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(operator)) throw new InvalidEvidenceError('operator', 'must be a 20-byte hex address');
  if (e.hashA === e.hashB) throw new InvalidEvidenceError('hashB', 'must differ from hashA');
  for (const [h, sig, f] of [
    [e.hashA, e.sigA, 'A'],
    [e.hashB, e.sigB, 'B'],
  ] as const) {
    let signer: string;
    try {
      signer = recoverClaimSigner({ jobId: e.jobId, unitIndex: e.unitIndex, outputHash: h }, sig);
    } catch (err) {
      if (err instanceof ClaimError) throw new InvalidEvidenceError(err.field === 'outputHash' ? `hash${f}` : err.field.startsWith('signature') ? `sig${f}${err.field.slice('signature'.length)}` : err.field, err.message);
      throw err;
    }
    if (signer !== operator) throw new InvalidEvidenceError(`sig${f}`, `recovers ${signer}, not the operator ${operator}`);
  }
  return operator;
}

export interface SlashAmounts {
  /** `(bonded + unbonding) * slashBps / 10000`. */
  slashed: bigint;
  /** `slashed * reporterBps / 10000`, to the reporter. */
  reporterReward: bigint;
  /** `slashed - reporterReward`, destroyed. */
  burned: bigint;
}

/** The slash of an operator holding `stake` = bonded + unbonding. */
export function slashAmounts(stake: bigint, slashBps: bigint, reporterBps: bigint): SlashAmounts {
  const slashed = (stake * slashBps) / BPS;
  const reporterReward = (slashed * reporterBps) / BPS;
  return { slashed, reporterReward, burned: slashed - reporterReward };
}
