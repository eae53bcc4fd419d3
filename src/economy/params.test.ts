import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CAP, DEFAULT_PARAMS, E0, EMISSION_POOL, GENESIS_SUPPLY, HARD_BOUNDS, PARAM_NAMES, ParamId, WAD, bounds, checkParam, paramsWithinBounds, setParam } from './params.ts';
import { ParamOutOfBoundsError } from './errors.ts';
import { LOCAL_PROFILE, PUBLIC_PROFILE, checkProfile, InvalidProfileError } from './profiles.ts';

describe('params', () => {
  it('defaults are within their hard bounds, genesis + pool = CAP', () => {
    expect(paramsWithinBounds(DEFAULT_PARAMS)).toBe(true);
    expect(GENESIS_SUPPLY + EMISSION_POOL).toBe(CAP);
    expect(E0).toBe(1_164_383n * WAD);
    expect(PARAM_NAMES.map((n) => ParamId[n])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('checkParam accepts each bound and refuses one past it, naming the field', () => {
    for (const [id, name] of PARAM_NAMES.entries()) {
      const { min, max } = bounds(id, DEFAULT_PARAMS);
      expect(() => checkParam(id, min)).not.toThrow();
      expect(() => checkParam(id, max)).not.toThrow();
      for (const v of [min - 1n, max + 1n]) {
        try {
          checkParam(id, v);
          expect.unreachable(`${name}=${v} accepted`);
        } catch (e) {
          expect(e).toBeInstanceOf(ParamOutOfBoundsError);
          expect((e as ParamOutOfBoundsError).field).toBe(name);
          expect((e as ParamOutOfBoundsError).id).toBe(id);
        }
      }
    }
  });

  it('dependent bounds: burn + treasury <= 6000, minPrice <= maxPrice', () => {
    expect(() => checkParam(ParamId.burnBps, 5_000n, { ...DEFAULT_PARAMS, treasuryBps: 1_500n })).toThrow(ParamOutOfBoundsError);
    expect(() => checkParam(ParamId.burnBps, 4_500n, { ...DEFAULT_PARAMS, treasuryBps: 1_500n })).not.toThrow();
    expect(() => checkParam(ParamId.minPricePerWork, 11n * WAD)).toThrow(/minPricePerWork/);
    expect(() => checkParam(ParamId.maxPricePerWork, WAD / 10_000n)).toThrow(/maxPricePerWork/);
    expect(() => checkParam(42, 1n)).toThrow(ParamOutOfBoundsError);
    expect(HARD_BOUNDS.minStake).toEqual({ min: WAD, max: 5_000n * WAD });
  });

  it('property: any sequence of setParam attempts keeps every parameter within bounds', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -1, max: 10 }), fc.bigInt({ min: -10n, max: 2_000n * WAD })), { maxLength: 60 }), (changes) => {
        let p = DEFAULT_PARAMS;
        for (const [id, v] of changes) {
          try {
            p = setParam(p, id, v);
          } catch (e) {
            expect(e).toBeInstanceOf(ParamOutOfBoundsError);
          }
          expect(paramsWithinBounds(p)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('profiles satisfy the constructor constraints; a bad one is refused', () => {
    checkProfile(LOCAL_PROFILE);
    checkProfile(PUBLIC_PROFILE);
    expect(() => checkProfile({ ...LOCAL_PROFILE, unbondingDelay: 90 })).toThrow(InvalidProfileError);
    expect(() => checkProfile({ ...LOCAL_PROFILE, withdrawalDelay: 500, unbondingDelay: 400 })).toThrow(/withdrawalDelay/);
  });
});
