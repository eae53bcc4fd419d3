import { describe, expect, it } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { slashAmounts, verifyEquivocation } from './slashing.ts';
import { bond, MAX_UNBONDING_ENTRIES, slashPosition, unbond, withdrawUnbonded } from './staking.ts';
import { InvalidEvidenceError, StakingError } from './errors.ts';
import { equivocation, hex32, keyOf } from './testkit.ts';

describe('slashing evidence', () => {
  const k = keyOf(1);
  const other = keyOf(2);
  const ev = equivocation(k, 1, 7);

  it('two valid conflicting claims recover the operator', () => {
    expect(verifyEquivocation(ev)).toBe(k.address);
    expect(verifyEquivocation({ ...ev, operator: k.address.toUpperCase().replace('0X', '0x') })).toBe(k.address);
  });

  it('refuses equal hashes, a foreign signer, a tampered unit, high s and bad v, naming the field', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidEvidenceError);
        return (e as InvalidEvidenceError).field;
      }
      return 'accepted';
    };
    expect(field(() => verifyEquivocation({ ...ev, hashB: ev.hashA, sigB: ev.sigA }))).toBe('hashB');
    const foreign = other.sign({ jobId: ev.jobId, unitIndex: 7, outputHash: ev.hashB });
    expect(field(() => verifyEquivocation({ ...ev, sigB: foreign }))).toBe('sigB');
    expect(field(() => verifyEquivocation({ ...ev, unitIndex: 8 }))).toBe('sigA');
    expect(field(() => verifyEquivocation({ ...ev, operator: other.address }))).toBe('sigA');
    // High-s twin of sigA: s' = n - s, v flipped. Valid ECDSA, refused like the contract refuses it.
    const n = secp256k1.Point.CURVE().n;
    let s = 0n;
    for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(ev.sigA[i] as number);
    const hi = ev.sigA.slice();
    const sHi = n - s;
    for (let i = 0; i < 32; i++) hi[63 - i] = Number((sHi >> BigInt(8 * i)) & 0xffn);
    hi[64] = (ev.sigA[64] as number) === 27 ? 28 : 27;
    expect(field(() => verifyEquivocation({ ...ev, sigA: hi }))).toBe('sigA.s');
    const badV = ev.sigA.slice();
    badV[64] = 1;
    expect(field(() => verifyEquivocation({ ...ev, sigA: badV }))).toBe('sigA.v');
    expect(field(() => verifyEquivocation({ ...ev, hashA: 'zz' + hex32(1).slice(2) }))).toBe('hashA');
    expect(field(() => verifyEquivocation({ ...ev, operator: 'nope' }))).toBe('operator');
  });

  it('slash amounts: 50% of stake, 20% of it to the reporter, the rest burned', () => {
    expect(slashAmounts(1_000n, 5_000n, 2_000n)).toEqual({ slashed: 500n, reporterReward: 100n, burned: 400n });
    expect(slashAmounts(3n, 5_000n, 2_000n)).toEqual({ slashed: 1n, reporterReward: 0n, burned: 1n });
  });
});

describe('staking positions', () => {
  it('bond, unbond with delay, withdraw released entries, slash bonded first then oldest unbonding', () => {
    let p = bond(undefined, 'st', 100n);
    expect(() => bond(p, 'intruder', 1n, 'op')).toThrow(StakingError);
    p = unbond(p, 'st', 30n, 10, 120);
    p = unbond(p, 'st', 20n, 20, 120);
    expect(() => unbond(p, 'st', 51n, 20, 120)).toThrow(/exceeds-bonded/);
    expect(() => unbond(p, 'other', 1n, 20, 120)).toThrow(/not-staker/);
    expect(() => withdrawUnbonded(p, 129)).toThrow(/nothing-to-withdraw/);
    const s = slashPosition(p, 70n);
    expect(s.fromBonded).toBe(50n);
    expect(s.fromUnbonding).toBe(20n);
    expect(s.position.unbonding.map((u) => u.amount)).toEqual([10n, 20n]);
    const w = withdrawUnbonded(s.position, 130);
    expect(w.paid).toBe(10n);
    expect(withdrawUnbonded(w.position, 140).paid).toBe(20n);
  });

  it('at most 16 pending unbonding entries (Staking.MAX_UNBONDING_ENTRIES); same release time merges; wholly slashed entries leave the count', () => {
    expect(MAX_UNBONDING_ENTRIES).toBe(16);
    let p = bond(undefined, 'st', 1_000n);
    for (let i = 0; i < 16; i++) p = unbond(p, 'st', 1n, i, 120);
    expect(p.unbonding).toHaveLength(16);
    expect(() => unbond(p, 'st', 1n, 16, 120, 'op')).toThrow(/too-many-unbonding-entries/);
    // same block (same release time) as the newest entry: added to it, allowed even at the cap
    p = unbond(p, 'st', 5n, 15, 120);
    expect(p.unbonding).toHaveLength(16);
    expect(p.unbonding[15]).toEqual({ amount: 6n, releaseAt: 135 });
    // a withdrawal frees room
    const w = withdrawUnbonded(p, 120);
    expect(w.paid).toBe(1n);
    expect(unbond(w.position, 'st', 1n, 16, 120).unbonding).toHaveLength(16);
    // a slash that takes entries whole removes them (the contract deletes them)
    const s = slashPosition(p, p.bonded + 10n);
    expect(s.position.bonded).toBe(0n);
    expect(s.position.unbonding).toHaveLength(6);
    expect(s.position.unbonding.every((u) => u.amount > 0n)).toBe(true);
    expect(unbond(bond(s.position, 'st', 1n), 'st', 1n, 20, 120).unbonding).toHaveLength(7);
  });
});
