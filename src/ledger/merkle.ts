/**
 * Merkle trees exactly as the settlement contract builds them (RECEIPTS.md, "Anchoring"):
 * OpenZeppelin sorted-pair hashing (`Hashes.commutativeKeccak256`: keccak256 of the two 32-byte
 * nodes, smaller first), levels built pairwise left to right, an odd last node carried up
 * unchanged. The root of one leaf is the leaf; the root of no leaves is the zero hash.
 * Proofs verify with OpenZeppelin `MerkleProof.verify(proof, root, leaf)`.
 *
 * @example
 * const root = merkleRoot(digests);
 * const proof = merkleProof(digests, 3);
 * verifyMerkleProof(proof, root, digests[3]); // true
 * // a settled receipt against its epoch's anchored root:
 * const p = anchorProof(batchDigests, 3, epochBatchRoots, 1);
 * verifyMerkleProof(p, merkleRoot(epochBatchRoots), batchDigests[3]); // true
 */
import { bytesToHex, hexToBytes, type Hex } from 'viem';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { assertHex32, assertIndex } from './assert.ts';
import { ProofError } from './errors.ts';

export const ZERO_ROOT: Hex = `0x${'00'.repeat(32)}`;

function cmp(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

/** `Hashes.commutativeKeccak256(a, b)`. */
export function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  if (cmp(a, b) <= 0) {
    buf.set(a, 0);
    buf.set(b, 32);
  } else {
    buf.set(b, 0);
    buf.set(a, 32);
  }
  return keccak_256(buf);
}

function toNodes(leaves: readonly string[], field: string): Uint8Array[] {
  if (!Array.isArray(leaves)) throw new ProofError(field, 'must be an array of bytes32 hex');
  return leaves.map((l, i) => hexToBytes(assertHex32(l, `${field}[${i}]`)));
}

function nextLevel(level: Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i + 1 < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!));
  if (level.length % 2 === 1) next.push(level[level.length - 1]!);
  return next;
}

export type MerkleRootParameters = [leaves: readonly Hex[]];
export type MerkleRootReturnType = Hex;

export function merkleRoot(...[leaves]: MerkleRootParameters): MerkleRootReturnType {
  let level = toNodes(leaves, 'leaves');
  if (level.length === 0) return ZERO_ROOT;
  while (level.length > 1) level = nextLevel(level);
  return bytesToHex(level[0]!);
}

export type MerkleProofParameters = [leaves: readonly Hex[], index: number];
export type MerkleProofReturnType = Hex[];

export function merkleProof(...[leaves, index]: MerkleProofParameters): MerkleProofReturnType {
  let level = toNodes(leaves, 'leaves');
  if (level.length === 0) throw new ProofError('leaves', 'is empty: nothing to prove');
  let i = assertIndex(index, 'index', level.length - 1);
  const proof: Hex[] = [];
  while (level.length > 1) {
    const sibling = i ^ 1;
    if (sibling < level.length) proof.push(bytesToHex(level[sibling]!));
    level = nextLevel(level);
    i >>= 1;
  }
  return proof;
}

export type VerifyMerkleProofParameters = [proof: readonly Hex[], root: Hex, leaf: Hex];

/** `MerkleProof.verify`: fold the proof into the leaf with sorted-pair hashing and compare. */
export function verifyMerkleProof(...[proof, root, leaf]: VerifyMerkleProofParameters): boolean {
  let node: Uint8Array = hexToBytes(assertHex32(leaf, 'leaf'));
  const nodes = toNodes(proof, 'proof');
  for (const p of nodes) node = hashPair(node, p);
  return bytesToHex(node) === assertHex32(root, 'root');
}

export type AnchorProofParameters = [batchLeaves: readonly Hex[], leafIndex: number, epochBatchRoots: readonly Hex[], batchIndex: number];

/**
 * Inclusion proof of `batchLeaves[leafIndex]` in the epoch root: its path in its batch followed
 * by the batch's path among the epoch's batch roots. Checks that `epochBatchRoots[batchIndex]`
 * is the batch's root.
 */
export function anchorProof(...[batchLeaves, leafIndex, epochBatchRoots, batchIndex]: AnchorProofParameters): Hex[] {
  const inner = merkleProof(batchLeaves, leafIndex);
  const roots = toNodes(epochBatchRoots, 'epochBatchRoots');
  assertIndex(batchIndex, 'batchIndex', Math.max(0, roots.length - 1));
  if (roots.length === 0) throw new ProofError('epochBatchRoots', 'is empty');
  const batchRoot = merkleRoot(batchLeaves);
  if (bytesToHex(roots[batchIndex]!) !== batchRoot) throw new ProofError(`epochBatchRoots[${batchIndex}]`, `is not the root of batchLeaves (${batchRoot})`);
  return [...inner, ...merkleProof(epochBatchRoots, batchIndex)];
}
