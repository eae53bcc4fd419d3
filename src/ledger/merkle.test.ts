import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex, hexToBytes, keccak256, concat, type Hex } from 'viem';
import { anchorProof, hashPair, merkleProof, merkleRoot, verifyMerkleProof, ZERO_ROOT } from './merkle.ts';

const leaf = (i: number) => keccak256(new TextEncoder().encode(`leaf-${i}`));
const leaves = (n: number, tag = 0) => Array.from({ length: n }, (_, i) => leaf(i + tag * 1000));
/** Reference: OpenZeppelin commutativeKeccak256 written with viem. */
const pair = (a: Hex, b: Hex) => (BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a])));

describe('merkle (OpenZeppelin sorted pairs, odd node carried up)', () => {
  it('small trees by hand', () => {
    const [a, b, c] = leaves(3) as [Hex, Hex, Hex];
    expect(merkleRoot([])).toBe(ZERO_ROOT);
    expect(merkleRoot([a])).toBe(a);
    expect(merkleRoot([a, b])).toBe(pair(a, b));
    expect(merkleRoot([a, b, c])).toBe(pair(pair(a, b), c));
    expect(merkleProof([a, b, c], 2)).toEqual([pair(a, b)]);
    expect(merkleProof([a], 0)).toEqual([]);
    expect(bytesToHex(hashPair(hexToBytes(a), hexToBytes(b)))).toBe(pair(a, b));
  });

  it('every leaf of trees of 1..40 leaves verifies; a wrong leaf or root does not', () => {
    for (let n = 1; n <= 40; n++) {
      const ls = leaves(n);
      const root = merkleRoot(ls);
      for (let i = 0; i < n; i++) {
        const p = merkleProof(ls, i);
        expect(verifyMerkleProof(p, root, ls[i]!)).toBe(true);
        expect(verifyMerkleProof(p, root, leaf(9999))).toBe(false);
      }
    }
  });

  it('anchorProof concatenates the batch path and the epoch path', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 7 }), fc.nat(), fc.nat(), (sizes, bi, li) => {
        const batches = sizes.map((n, b) => leaves(n, b + 1));
        const roots = batches.map((ls) => merkleRoot(ls));
        const epochRoot = merkleRoot(roots);
        const b = bi % batches.length;
        const l = li % batches[b]!.length;
        const p = anchorProof(batches[b]!, l, roots, b);
        expect(p.length).toBe(merkleProof(batches[b]!, l).length + merkleProof(roots, b).length);
        expect(verifyMerkleProof(p, epochRoot, batches[b]![l]!)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('anchorProof refuses a batch that is not in the epoch list', () => {
    const roots = [merkleRoot(leaves(3, 1)), merkleRoot(leaves(2, 2))];
    expect(() => anchorProof(leaves(3, 5), 0, roots, 0)).toThrow(expect.objectContaining({ name: 'ProofError', field: 'epochBatchRoots[0]' }));
    expect(() => merkleProof(leaves(3), 3)).toThrow(expect.objectContaining({ name: 'InvalidFieldError', field: 'index' }));
    expect(() => merkleRoot(['0x12' as Hex])).toThrow(expect.objectContaining({ field: 'leaves[0]' }));
  });
});
