/**
 * The tab's identity: a secp256k1 key kept in IndexedDB (created on first use), its Ethereum
 * address, signed links to the libp2p peer id, encrypted export/import, and an optional external
 * EIP-1193 wallet whose address becomes the payout address (the `worker` receipts pay).
 *
 * The key is stored as raw bytes in IndexedDB (`tabmesh-identity`, store `keys`, key `default`):
 * WebCrypto has no secp256k1, so it cannot be a non-extractable CryptoKey. The widget keeps it
 * in an iframe of the tabmesh origin so embedding sites never reach it (DESIGN.md).
 *
 * @example
 * const id = await LocalIdentity.open();                    // IndexedDB, created on first use
 * const link = id.linkPeer(mesh.peerId);                    // { kind: 'key', address, peerId, signature }
 * const wallet = await id.connectWallet(window.ethereum, mesh.peerId); // payout → wallet address
 * const file = await id.exportKeyFile('password');          // JSON to keep
 * await LocalIdentity.importKeyFile(file, 'password', { store, replace: true });
 */
import { openDB, type IDBPDatabase } from 'idb';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, type Address, type Hex } from 'viem';
import { assertAddress, assertBytes, assertHex } from './assert.ts';
import { KeyExistsError, KeyFileError, WalletError } from './errors.ts';
import { decryptKeyFile, exportKeyFile, type ExportKeyFileOptions, type KeyFile } from './identity-export.ts';
import { peerLinkPreimage, signPeerLink, verifyPeerLink, type PeerLink } from './identity-link.ts';
import type { ReceiptSigner } from './ledger.ts';
import { publicKeyToAddress } from './recover-receipt-signer.ts';
import { signDigest } from './sign-receipt.ts';

export interface IdentityRecord {
  secretKey: Uint8Array;
  address: Address;
  createdAt: number;
  /** The connected wallet's link, when a wallet is the payout address. */
  payout?: PeerLink;
}

export interface IdentityStore {
  get(): Promise<IdentityRecord | undefined>;
  /** Stores `rec` unless a record exists (atomically); returns the record now stored. */
  putIfAbsent(rec: IdentityRecord): Promise<IdentityRecord>;
  put(rec: IdentityRecord): Promise<void>;
  close?(): Promise<void>;
}

export class MemoryIdentityStore implements IdentityStore {
  #rec: IdentityRecord | undefined;
  async get(): Promise<IdentityRecord | undefined> {
    return this.#rec && structuredClone(this.#rec);
  }
  async putIfAbsent(rec: IdentityRecord): Promise<IdentityRecord> {
    this.#rec ??= structuredClone(rec);
    return structuredClone(this.#rec);
  }
  async put(rec: IdentityRecord): Promise<void> {
    this.#rec = structuredClone(rec);
  }
}

export class IdbIdentityStore implements IdentityStore {
  #db: Promise<IDBPDatabase> | null = null;
  constructor(readonly dbName = 'tabmesh-identity') {}
  #open(): Promise<IDBPDatabase> {
    this.#db ??= openDB(this.dbName, 1, {
      upgrade(db) {
        db.createObjectStore('keys');
      },
      blocking: () => void this.close(),
    });
    return this.#db;
  }
  async get(): Promise<IdentityRecord | undefined> {
    return (await (await this.#open()).get('keys', 'default')) as IdentityRecord | undefined;
  }
  async putIfAbsent(rec: IdentityRecord): Promise<IdentityRecord> {
    const tx = (await this.#open()).transaction('keys', 'readwrite', { durability: 'strict' });
    const prev = (await tx.store.get('default')) as IdentityRecord | undefined;
    if (!prev) void tx.store.put(rec, 'default');
    await tx.done;
    return prev ?? rec;
  }
  async put(rec: IdentityRecord): Promise<void> {
    const tx = (await this.#open()).transaction('keys', 'readwrite', { durability: 'strict' });
    void tx.store.put(rec, 'default');
    await tx.done;
  }
  async close(): Promise<void> {
    const p = this.#db;
    this.#db = null;
    if (p) (await p).close();
  }
}

/** The part of EIP-1193 we use. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export class LocalIdentity implements ReceiptSigner {
  readonly address: Address;
  readonly publicKey: Uint8Array;
  readonly #secret: Uint8Array;
  readonly #store: IdentityStore;
  #payout: PeerLink | undefined;

  private constructor(rec: IdentityRecord, store: IdentityStore) {
    this.#secret = rec.secretKey;
    this.publicKey = secp256k1.getPublicKey(rec.secretKey, false);
    this.address = publicKeyToAddress(this.publicKey);
    this.#store = store;
    this.#payout = rec.payout;
  }

  /** The stored identity, or a new one stored on first use (two tabs racing get the same key). */
  static async open(store: IdentityStore = new IdbIdentityStore()): Promise<LocalIdentity> {
    let rec = await store.get();
    if (!rec) {
      const secretKey = secp256k1.utils.randomSecretKey();
      rec = await store.putIfAbsent({ secretKey, address: publicKeyToAddress(secp256k1.getPublicKey(secretKey, false)), createdAt: Date.now() });
    }
    assertBytes(rec.secretKey, 32, 'identity.secretKey');
    return new LocalIdentity(rec, store);
  }

  /**
   * Imports a key file. The file is decrypted and checked first: a wrong password
   * (`WrongPasswordError`) or bad file (`KeyFileError`) leaves the store as it was. A different
   * key already stored is only replaced with `replace: true` (else `KeyExistsError`): receipts
   * paying the old address would be orphaned.
   */
  static async importKeyFile(file: KeyFile | string, password: string, opts: { store?: IdentityStore; replace?: boolean } = {}): Promise<LocalIdentity> {
    const store = opts.store ?? new IdbIdentityStore();
    const secretKey = await decryptKeyFile(file, password);
    const address = publicKeyToAddress(secp256k1.getPublicKey(secretKey, false));
    const prev = await store.get();
    if (prev && prev.address !== address && !opts.replace) throw new KeyExistsError('keyFile.address', `this tab already has key ${prev.address}; pass replace: true to replace it with ${address}`);
    const rec: IdentityRecord = { secretKey, address, createdAt: prev?.address === address ? prev.createdAt : Date.now() };
    if (prev?.address === address && prev.payout) rec.payout = prev.payout;
    await store.put(rec);
    return new LocalIdentity(rec, store);
  }

  /** Signs a 32-byte digest (no prehash): r ‖ s ‖ v, low s. */
  signDigest(digest: Uint8Array): Uint8Array {
    return signDigest(digest, this.#secret);
  }

  /** A link from this key's address to `peerId`. */
  linkPeer(peerId: string): PeerLink {
    return signPeerLink(peerId, this.#secret);
  }

  exportKeyFile(password: string, opts?: ExportKeyFileOptions): Promise<KeyFile> {
    return exportKeyFile(this.#secret, password, opts);
  }

  /** Where receipts for this tab's work should pay: the connected wallet, else this key's address. */
  get payoutAddress(): Address {
    return this.#payout?.address ?? this.address;
  }

  /** The wallet link, when a wallet is connected. */
  get payoutLink(): PeerLink | undefined {
    return this.#payout;
  }

  /**
   * Connects an EIP-1193 wallet as the payout address: `eth_requestAccounts`, then
   * `personal_sign` of the peer-link preimage; the link is verified and stored.
   */
  async connectWallet(provider: Eip1193Provider, peerId: string): Promise<PeerLink> {
    if (!provider || typeof provider.request !== 'function') throw new WalletError('provider', 'is not an EIP-1193 provider (no request function)');
    let accounts: unknown;
    try {
      accounts = await provider.request({ method: 'eth_requestAccounts' });
    } catch (e) {
      throw new WalletError('eth_requestAccounts', `refused: ${(e as Error).message}`);
    }
    if (!Array.isArray(accounts) || accounts.length === 0) throw new WalletError('eth_requestAccounts', 'returned no account');
    let address: Address;
    try {
      address = assertAddress(accounts[0], 'eth_requestAccounts[0]');
    } catch (e) {
      throw new WalletError('eth_requestAccounts[0]', (e as Error).message);
    }
    let sig: unknown;
    try {
      sig = await provider.request({ method: 'personal_sign', params: [bytesToHex(peerLinkPreimage(peerId)), address] });
    } catch (e) {
      throw new WalletError('personal_sign', `refused: ${(e as Error).message}`);
    }
    let signature: Hex;
    try {
      signature = assertHex(sig, 'personal_sign');
    } catch (e) {
      throw new WalletError('personal_sign', (e as Error).message);
    }
    const link: PeerLink = { kind: 'wallet', address, peerId, signature };
    try {
      await verifyPeerLink(link);
    } catch (e) {
      throw new WalletError('personal_sign', `the wallet's signature does not verify: ${(e as Error).message}`);
    }
    const rec = await this.#store.get();
    if (!rec || rec.address !== this.address) throw new KeyFileError('identity', 'the stored identity changed under this tab');
    await this.#store.put({ ...rec, payout: link });
    this.#payout = link;
    return link;
  }

  /** Payout goes back to this key's address. */
  async disconnectWallet(): Promise<void> {
    const rec = await this.#store.get();
    if (rec && rec.address === this.address) {
      delete rec.payout;
      await this.#store.put(rec);
    }
    this.#payout = undefined;
  }
}
