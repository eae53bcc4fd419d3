/**
 * Password-encrypted key files: the tab's secp256k1 key as JSON a person can keep and import.
 *
 * Key derivation: scrypt (noble, N = 2^15, r = 8, p = 1 by default; 16-byte random salt) → 32 bytes
 * → AES-256-GCM key (WebCrypto `crypto.subtle`), 12-byte random IV, additional data
 * `utf8("tabmesh-key/1:" ‖ address)` so the address in the file cannot be swapped.
 *
 * ```json
 * { "format": "tabmesh-key", "version": 1, "address": "0x…",
 *   "kdf": { "name": "scrypt", "N": 32768, "r": 8, "p": 1, "salt": "0x…" },
 *   "cipher": { "name": "AES-GCM", "iv": "0x…" }, "ciphertext": "0x…" }
 * ```
 *
 * @example
 * const file = await exportKeyFile(secretKey, 'correct horse');
 * const secret = await decryptKeyFile(file, 'correct horse'); // WrongPasswordError on a wrong one
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, type Address, type Hex } from 'viem';
import { assertAddress, assertBytes, assertHex } from './assert.ts';
import { KeyFileError, WrongPasswordError } from './errors.ts';
import { publicKeyToAddress } from './recover-receipt-signer.ts';

export interface KeyFile {
  format: 'tabmesh-key';
  version: 1;
  address: Address;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: Hex };
  cipher: { name: 'AES-GCM'; iv: Hex };
  ciphertext: Hex;
}

export interface ExportKeyFileOptions {
  /** scrypt cost (power of two). Default 2^15; tests use less. */
  N?: number;
  r?: number;
  p?: number;
}

/** Largest scrypt cost we agree to run on import (bounds memory: 128·N·r bytes). */
const MAX_N = 1 << 20;

const subtle = (): SubtleCrypto => {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new KeyFileError('', 'WebCrypto (crypto.subtle) is not available');
  return s;
};

const aad = (address: string) => new TextEncoder().encode(`tabmesh-key/1:${address}`);

async function aesKey(password: string, salt: Uint8Array, N: number, r: number, p: number): Promise<CryptoKey> {
  if (typeof password !== 'string' || password.length === 0) throw new KeyFileError('password', 'must be a non-empty string');
  const raw = await scryptAsync(new TextEncoder().encode(password.normalize('NFKC')), salt, { N, r, p, dkLen: 32 });
  return subtle().importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

export async function exportKeyFile(secretKey: Uint8Array, password: string, opts: ExportKeyFileOptions = {}): Promise<KeyFile> {
  assertBytes(secretKey, 32, 'secretKey');
  const N = opts.N ?? 1 << 15;
  const r = opts.r ?? 8;
  const p = opts.p ?? 1;
  const address = publicKeyToAddress(secp256k1.getPublicKey(secretKey, false));
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await aesKey(password, salt, N, r, p);
  const ct = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad(address) }, key, secretKey as Uint8Array<ArrayBuffer>));
  return { format: 'tabmesh-key', version: 1, address, kdf: { name: 'scrypt', N, r, p, salt: bytesToHex(salt) }, cipher: { name: 'AES-GCM', iv: bytesToHex(iv) }, ciphertext: bytesToHex(ct) };
}

/** Checks a key file's structure (JSON text or parsed). */
export function parseKeyFile(input: unknown): KeyFile {
  let o: unknown = input;
  if (typeof input === 'string') {
    try {
      o = JSON.parse(input);
    } catch (e) {
      throw new KeyFileError('keyFile', `is not JSON (${(e as Error).message})`);
    }
  }
  if (typeof o !== 'object' || o === null) throw new KeyFileError('keyFile', 'must be an object');
  const f = o as Record<string, any>;
  if (f.format !== 'tabmesh-key') throw new KeyFileError('keyFile.format', 'must be "tabmesh-key"');
  if (f.version !== 1) throw new KeyFileError('keyFile.version', `must be 1, got ${String(f.version)}`);
  const kdf = f.kdf as Record<string, unknown> | undefined;
  if (!kdf || kdf.name !== 'scrypt') throw new KeyFileError('keyFile.kdf.name', 'must be "scrypt"');
  const N = kdf.N, r = kdf.r, p = kdf.p;
  if (typeof N !== 'number' || !Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) throw new KeyFileError('keyFile.kdf.N', `must be a power of two in [2, ${MAX_N}]`);
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1 || r > 16) throw new KeyFileError('keyFile.kdf.r', 'must be an integer in [1, 16]');
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 4) throw new KeyFileError('keyFile.kdf.p', 'must be an integer in [1, 4]');
  const salt = wrap(() => assertHex(kdf.salt, 'keyFile.kdf.salt'));
  if (salt.length < 2 + 32) throw new KeyFileError('keyFile.kdf.salt', 'must be at least 16 bytes');
  if (!f.cipher || f.cipher.name !== 'AES-GCM') throw new KeyFileError('keyFile.cipher.name', 'must be "AES-GCM"');
  const iv = wrap(() => assertHex(f.cipher.iv, 'keyFile.cipher.iv'));
  if (iv.length !== 2 + 24) throw new KeyFileError('keyFile.cipher.iv', 'must be 12 bytes');
  const ciphertext = wrap(() => assertHex(f.ciphertext, 'keyFile.ciphertext'));
  if (ciphertext.length !== 2 + 2 * 48) throw new KeyFileError('keyFile.ciphertext', 'must be 48 bytes (32-byte key + 16-byte tag)');
  const address = wrap(() => assertAddress(f.address, 'keyFile.address'));
  return { format: 'tabmesh-key', version: 1, address, kdf: { name: 'scrypt', N, r, p, salt }, cipher: { name: 'AES-GCM', iv }, ciphertext };
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new KeyFileError((e as { field?: string }).field ?? 'keyFile', (e as Error).message);
  }
}

/** The secret key in a key file. WrongPasswordError when it does not decrypt. */
export async function decryptKeyFile(input: unknown, password: string): Promise<Uint8Array> {
  const f = parseKeyFile(input);
  const key = await aesKey(password, hexToBytes(f.kdf.salt), f.kdf.N, f.kdf.r, f.kdf.p);
  let secret: Uint8Array;
  try {
    secret = new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: hexToBytes(f.cipher.iv) as Uint8Array<ArrayBuffer>, additionalData: aad(f.address) }, key, hexToBytes(f.ciphertext) as Uint8Array<ArrayBuffer>));
  } catch {
    throw new WrongPasswordError('password', 'does not decrypt this key file (wrong password, or the file was altered)');
  }
  if (!secp256k1.utils.isValidSecretKey(secret)) throw new KeyFileError('keyFile.ciphertext', 'does not hold a valid secp256k1 key');
  const address = publicKeyToAddress(secp256k1.getPublicKey(secret, false));
  if (address !== f.address) throw new KeyFileError('keyFile.address', `is ${f.address} but the key is ${address}`);
  return secret;
}
