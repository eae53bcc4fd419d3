/** Test helpers: deterministic claim keys and equivocation evidence (not exported from index.ts). */
import { ClaimKey } from '../jobs/claim.ts';
import type { EquivocationEvidence } from './slashing.ts';

export function keyOf(i: number): ClaimKey {
  const secret = new Uint8Array(32);
  secret[31] = i + 1;
  secret[0] = 0x42;
  return ClaimKey.fromSecret(secret);
}

export function hex32(n: number): string {
  return n.toString(16).padStart(64, '0');
}

/** Two valid, conflicting claims by `key` for (jobId, unit). */
export function equivocation(key: ClaimKey, jobNo: number, unitIndex: number): EquivocationEvidence {
  const jobId = hex32(0xabc000 + jobNo);
  const hashA = hex32(1000 + unitIndex);
  const hashB = hex32(2000 + unitIndex);
  return { operator: key.address, jobId, unitIndex, hashA, sigA: key.sign({ jobId, unitIndex, outputHash: hashA }), hashB, sigB: key.sign({ jobId, unitIndex, outputHash: hashB }) };
}
