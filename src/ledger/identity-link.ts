/**
 * A signed link between an Ethereum address and a libp2p peer id, so peers can tell which
 * address a peer's work pays (and refuse a peer claiming someone else's address).
 *
 * Preimage: `utf8("tabmesh/peer-link/1") ‖ utf8(peerId)` (no separator: the prefix is fixed-length).
 * - `kind: 'key'` (the tab's own key): signature over `keccak256(preimage)`, no EIP-191 prefix,
 *   65 bytes r ‖ s ‖ v, low s.
 * - `kind: 'wallet'` (an external EIP-1193 wallet, the payout address): `personal_sign` of the
 *   preimage bytes, i.e. over `keccak256("\x19Ethereum Signed Message:\n" ‖ len ‖ preimage)`.
 *
 * @example
 * const link = signPeerLink(peerId, secretKey);          // { kind: 'key', address, peerId, signature }
 * await verifyPeerLink(link);                            // the address, or throws PeerLinkError
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, recoverMessageAddress, type Address, type Hex } from 'viem';
import { assertAddress, assertBytes, assertHex, assertString } from './assert.ts';
import { LedgerError, PeerLinkError } from './errors.ts';
import { publicKeyToAddress, recoverDigestSigner } from './recover-receipt-signer.ts';
import { signDigest } from './sign-receipt.ts';

export const PEER_LINK_PREFIX = 'tabmesh/peer-link/1';
/** libp2p peer ids as strings are ~52 characters (base58 Ed25519) to ~64; leave room. */
export const MAX_PEER_ID_LENGTH = 128;

export interface PeerLink {
  kind: 'key' | 'wallet';
  address: Address;
  peerId: string;
  /** 65 bytes r ‖ s ‖ v as 0x-hex. */
  signature: Hex;
}

/** The bytes both kinds of link sign (the wallet through EIP-191). */
export function peerLinkPreimage(peerId: string): Uint8Array {
  const id = assertString(peerId, 'peerId', MAX_PEER_ID_LENGTH);
  const a = new TextEncoder().encode(PEER_LINK_PREFIX);
  const b = new TextEncoder().encode(id);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** `keccak256("tabmesh/peer-link/1" ‖ peerId)`: what a `key` link signs. */
export function peerLinkDigest(peerId: string): Uint8Array {
  return keccak_256(peerLinkPreimage(peerId));
}

export function signPeerLink(peerId: string, secretKey: Uint8Array): PeerLink {
  assertBytes(secretKey, 32, 'secretKey');
  const address = publicKeyToAddress(secp256k1.getPublicKey(secretKey, false));
  return { kind: 'key', address, peerId, signature: bytesToHex(signDigest(peerLinkDigest(peerId), secretKey)) };
}

/** Resolves to the link's address when its signature binds it to its peer id; else PeerLinkError. */
export async function verifyPeerLink(link: PeerLink, expectedPeerId?: string): Promise<Address> {
  if (typeof link !== 'object' || link === null) throw new PeerLinkError('link', 'must be an object');
  const address = assertAddress(link.address, 'link.address');
  const signature = assertHex(link.signature, 'link.signature');
  if (expectedPeerId !== undefined && link.peerId !== expectedPeerId) throw new PeerLinkError('link.peerId', `is ${link.peerId}, expected ${expectedPeerId}`);
  let signer: string;
  try {
    if (link.kind === 'key') signer = recoverDigestSigner(peerLinkDigest(link.peerId), signature, 'link.signature');
    else if (link.kind === 'wallet') signer = (await recoverMessageAddress({ message: { raw: peerLinkPreimage(link.peerId) }, signature })).toLowerCase();
    else throw new PeerLinkError('link.kind', `must be "key" or "wallet", got ${String(link.kind)}`);
  } catch (e) {
    if (e instanceof PeerLinkError) throw e;
    throw new PeerLinkError(e instanceof LedgerError ? e.field : 'link.signature', `does not verify (${(e as Error).message})`);
  }
  if (signer !== address) throw new PeerLinkError('link.signature', `recovers ${signer}, not ${address}`);
  return address;
}
