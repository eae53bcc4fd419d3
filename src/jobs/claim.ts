/**
 * A worker's signed claim: "for job J, unit U, my output hashes to H". The requester checks it
 * before counting a result; two valid claims from one worker with different H for the same (J, U)
 * are equivocation, provable to anyone with the two signatures (the token contract will slash on
 * exactly this evidence, which is why the claim is an Ethereum-style secp256k1 signature).
 *
 * Digest: `keccak256("tabmesh/claim/1" ‖ jobId[32] ‖ uint32be(unitIndex) ‖ outputHash[32])`, the
 * same bytes as Solidity's `keccak256(abi.encodePacked("tabmesh/claim/1", jobId, uint32(unit), outputHash))`.
 * Signature: 65 bytes `r ‖ s ‖ v` with low s and v ∈ {27, 28}, as `ecrecover` wants.
 *
 * @example
 * const key = ClaimKey.generate();
 * const sig = key.sign({ jobId, unitIndex: 3, outputHash });
 * recoverClaimSigner({ jobId, unitIndex: 3, outputHash }, sig) === key.address; // true
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ClaimError } from './errors.ts';

export interface ClaimBody {
  /** 64 lowercase hex. */
  jobId: string;
  unitIndex: number;
  /** sha-256 hex of the output bytes. */
  outputHash: string;
}

const DOMAIN = new TextEncoder().encode('tabmesh/claim/1');
const HEX64 = /^[0-9a-f]{64}$/;
/** secp256k1 group order / 2: a signature with s above it is the malleable twin of a low-s one. */
const HALF_N = secp256k1.Point.CURVE().n >> 1n;

function hexBytes(hex: string, field: string): Uint8Array {
  if (typeof hex !== 'string' || !HEX64.test(hex)) throw new ClaimError(field, 'must be 64 lowercase hex digits');
  return hexToBytes(hex);
}

/** The 32-byte digest a claim signs. */
export function claimDigest(c: ClaimBody): Uint8Array {
  if (!Number.isInteger(c.unitIndex) || c.unitIndex < 0 || c.unitIndex > 0xffffffff) throw new ClaimError('unitIndex', 'must be a uint32');
  const buf = new Uint8Array(DOMAIN.length + 32 + 4 + 32);
  buf.set(DOMAIN, 0);
  buf.set(hexBytes(c.jobId, 'jobId'), DOMAIN.length);
  new DataView(buf.buffer).setUint32(DOMAIN.length + 32, c.unitIndex, false);
  buf.set(hexBytes(c.outputHash, 'outputHash'), DOMAIN.length + 36);
  return keccak_256(buf);
}

/** Ethereum address (lowercase `0x…`) of an uncompressed or compressed secp256k1 public key. */
export function addressOf(publicKey: Uint8Array): string {
  const uncompressed = publicKey.length === 65 ? publicKey : secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return '0x' + bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12));
}

/** Anything that signs a 32-byte digest as 65 bytes r ‖ s ‖ v (low s, v ∈ {27, 28}): the ledger's identity key. */
export interface DigestSigner {
  readonly address: string;
  signDigest(digest: Uint8Array): Uint8Array;
}

/** A worker's signing key: its own secret, or the tab's persistent identity (src/ledger) through DigestSigner. */
export class ClaimKey {
  readonly address: string;
  readonly #signDigest: (digest: Uint8Array) => Uint8Array;

  private constructor(address: string, signDigest: (digest: Uint8Array) => Uint8Array) {
    this.address = address.toLowerCase();
    this.#signDigest = signDigest;
  }

  static generate(): ClaimKey {
    return ClaimKey.fromSecret(secp256k1.utils.randomSecretKey());
  }

  static fromSecret(secret: Uint8Array): ClaimKey {
    if (!(secret instanceof Uint8Array) || secret.length !== 32) throw new ClaimError('secret', 'must be 32 bytes');
    const key = secret.slice();
    return new ClaimKey(addressOf(secp256k1.getPublicKey(key, false)), (digest) => {
      const rec = secp256k1.sign(digest, key, { prehash: false, format: 'recovered', lowS: true });
      const out = new Uint8Array(65);
      out.set(rec.subarray(1, 65), 0);
      out[64] = 27 + (rec[0] as number);
      return out;
    });
  }

  /** Claims signed by `signer` (whose key stays inside it). */
  static fromSigner(signer: DigestSigner): ClaimKey {
    return new ClaimKey(signer.address, (digest) => signer.signDigest(digest));
  }

  /** Signs a claim: 65 bytes r ‖ s ‖ v. */
  sign(c: ClaimBody): Uint8Array {
    return this.#signDigest(claimDigest(c));
  }
}

/**
 * Recovers the address that signed `c`. Throws ClaimError naming the field for a malformed
 * signature, a high-s signature or a bad v: the same signatures the contract refuses.
 */
export function recoverClaimSigner(c: ClaimBody, signature: Uint8Array): string {
  if (!(signature instanceof Uint8Array) || signature.length !== 65) throw new ClaimError('signature', `must be 65 bytes (r ‖ s ‖ v), got ${signature?.length}`);
  const v = signature[64] as number;
  if (v !== 27 && v !== 28) throw new ClaimError('signature.v', `must be 27 or 28, got ${v}`);
  let s = 0n;
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(signature[i] as number);
  if (s === 0n || s > HALF_N) throw new ClaimError('signature.s', 'must be in the lower half of the curve order');
  const rec = new Uint8Array(65);
  rec[0] = v - 27;
  rec.set(signature.subarray(0, 64), 1);
  try {
    return addressOf(secp256k1.recoverPublicKey(rec, claimDigest(c), { prehash: false }));
  } catch (e) {
    if (e instanceof ClaimError) throw e;
    throw new ClaimError('signature', `does not recover a public key (${(e as Error).message})`);
  }
}
