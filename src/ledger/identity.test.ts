import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { privateKeyToAccount } from 'viem/accounts';
import { bytesToHex, hexToBytes as viemHexToBytes, type Hex } from 'viem';
import { IdbIdentityStore, LocalIdentity, MemoryIdentityStore, type Eip1193Provider } from './identity.ts';
import { peerLinkDigest, peerLinkPreimage, verifyPeerLink } from './identity-link.ts';
import { decryptKeyFile, parseKeyFile } from './identity-export.ts';
import { recoverDigestSigner } from './recover-receipt-signer.ts';
import { testKey } from './testing.ts';

const PEER = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf';
const FAST = { N: 1 << 10 };

describe('LocalIdentity', () => {
  it('is created on first use in IndexedDB and the same key comes back on reopen', async () => {
    const dbName = `identity-${Date.now()}`;
    const a = await LocalIdentity.open(new IdbIdentityStore(dbName));
    const b = await LocalIdentity.open(new IdbIdentityStore(dbName));
    expect(a.address).toMatch(/^0x[0-9a-f]{40}$/);
    expect(b.address).toBe(a.address);
    expect(a.payoutAddress).toBe(a.address);
    const digest = new Uint8Array(32).fill(3);
    expect(recoverDigestSigner(digest, a.signDigest(digest))).toBe(a.address);
  });

  it('two tabs racing to create get one key', async () => {
    const store = new IdbIdentityStore(`race-${Date.now()}`);
    const ids = await Promise.all([LocalIdentity.open(store), LocalIdentity.open(store), LocalIdentity.open(store)]);
    expect(new Set(ids.map((i) => i.address)).size).toBe(1);
  });

  it('links its address to a peer id; a tampered link is refused', async () => {
    const id = await LocalIdentity.open(new MemoryIdentityStore());
    const link = id.linkPeer(PEER);
    expect(link).toMatchObject({ kind: 'key', address: id.address, peerId: PEER });
    expect(await verifyPeerLink(link, PEER)).toBe(id.address);
    expect(recoverDigestSigner(peerLinkDigest(PEER), link.signature)).toBe(id.address);
    await expect(verifyPeerLink({ ...link, peerId: PEER + 'x' })).rejects.toMatchObject({ name: 'PeerLinkError', field: 'link.signature' });
    await expect(verifyPeerLink(link, 'other')).rejects.toMatchObject({ name: 'PeerLinkError', field: 'link.peerId' });
    await expect(verifyPeerLink({ ...link, address: testKey('x').address })).rejects.toMatchObject({ name: 'PeerLinkError', field: 'link.signature' });
    await expect(verifyPeerLink({ ...link, signature: '0x1234' })).rejects.toMatchObject({ name: 'PeerLinkError', field: 'link.signature' });
  });

  it('exports to an encrypted key file and imports it back; a wrong password changes nothing', async () => {
    const src = await LocalIdentity.open(new MemoryIdentityStore());
    const file = await src.exportKeyFile('correct horse', FAST);
    expect(parseKeyFile(JSON.stringify(file))).toEqual(file);
    const secret = await decryptKeyFile(file, 'correct horse');
    expect(JSON.stringify(file)).not.toContain(bytesToHex(secret).slice(2));
    const target = new MemoryIdentityStore();
    const existing = await LocalIdentity.open(target);
    const before = await target.get();
    await expect(LocalIdentity.importKeyFile(file, 'wrong', { store: target, replace: true })).rejects.toMatchObject({ name: 'WrongPasswordError', field: 'password' });
    expect(await target.get()).toEqual(before);
    await expect(LocalIdentity.importKeyFile(file, 'correct horse', { store: target })).rejects.toMatchObject({ name: 'KeyExistsError' });
    expect(await target.get()).toEqual(before);
    const imported = await LocalIdentity.importKeyFile(JSON.stringify(file), 'correct horse', { store: target, replace: true });
    expect(imported.address).toBe(src.address);
    expect((await LocalIdentity.open(target)).address).toBe(src.address);
    expect(existing.address).not.toBe(src.address);
    // Into an empty store, no replace needed.
    const fresh = new MemoryIdentityStore();
    expect((await LocalIdentity.importKeyFile(file, 'correct horse', { store: fresh })).address).toBe(src.address);
  });

  it('refuses altered or malformed key files by field', async () => {
    const id = await LocalIdentity.open(new MemoryIdentityStore());
    const file = await id.exportKeyFile('pw', FAST);
    await expect(decryptKeyFile({ ...file, address: testKey('x').address }, 'pw')).rejects.toMatchObject({ name: 'WrongPasswordError' }); // AAD binds the address
    const ct = viemHexToBytes(file.ciphertext);
    ct[0]! ^= 1;
    await expect(decryptKeyFile({ ...file, ciphertext: bytesToHex(ct) }, 'pw')).rejects.toMatchObject({ name: 'WrongPasswordError' });
    await expect(decryptKeyFile('not json', 'pw')).rejects.toMatchObject({ name: 'KeyFileError', field: 'keyFile' });
    await expect(decryptKeyFile({ ...file, format: 'x' }, 'pw')).rejects.toMatchObject({ name: 'KeyFileError', field: 'keyFile.format' });
    await expect(decryptKeyFile({ ...file, kdf: { ...file.kdf, N: 3 } }, 'pw')).rejects.toMatchObject({ name: 'KeyFileError', field: 'keyFile.kdf.N' });
    await expect(decryptKeyFile({ ...file, kdf: { ...file.kdf, N: 1 << 24 } }, 'pw')).rejects.toMatchObject({ name: 'KeyFileError', field: 'keyFile.kdf.N' });
    await expect(decryptKeyFile({ ...file, cipher: { name: 'AES-GCM', iv: '0x00' } }, 'pw')).rejects.toMatchObject({ name: 'KeyFileError', field: 'keyFile.cipher.iv' });
    await expect(decryptKeyFile({ ...file, ciphertext: '0x00' }, 'pw')).rejects.toMatchObject({ name: 'KeyFileError', field: 'keyFile.ciphertext' });
    await expect(decryptKeyFile(file, '')).rejects.toMatchObject({ name: 'KeyFileError', field: 'password' });
  });
});

describe('external EIP-1193 wallet as payout address', () => {
  const account = privateKeyToAccount(`0x${'42'.repeat(32)}`);
  const wallet = (overrides: Partial<Record<string, (params?: unknown[]) => Promise<unknown>>> = {}): Eip1193Provider => ({
    async request({ method, params }) {
      const o = overrides[method];
      if (o) return o(params);
      if (method === 'eth_requestAccounts') return [account.address];
      if (method === 'personal_sign') {
        const [data, addr] = params as [Hex, string];
        expect(addr.toLowerCase()).toBe(account.address.toLowerCase());
        return account.signMessage({ message: { raw: data } });
      }
      throw new Error(`unsupported ${method}`);
    },
  });

  it('connects, signs the link with personal_sign, verifies and persists it', async () => {
    const store = new MemoryIdentityStore();
    const id = await LocalIdentity.open(store);
    const link = await id.connectWallet(wallet(), PEER);
    expect(link).toMatchObject({ kind: 'wallet', address: account.address.toLowerCase(), peerId: PEER });
    expect(await verifyPeerLink(link)).toBe(account.address.toLowerCase());
    expect(id.payoutAddress).toBe(account.address.toLowerCase());
    expect((await LocalIdentity.open(store)).payoutAddress).toBe(account.address.toLowerCase());
    expect(bytesToHex(peerLinkPreimage(PEER))).toBe(bytesToHex(new TextEncoder().encode('tabmesh/peer-link/1' + PEER)));
    await id.disconnectWallet();
    expect((await LocalIdentity.open(store)).payoutAddress).toBe(id.address);
  });

  it('wallet refusals and bad answers are WalletError naming the step; nothing stored changes', async () => {
    const store = new MemoryIdentityStore();
    const id = await LocalIdentity.open(store);
    const before = await store.get();
    const reject = async () => {
      throw new Error('User rejected the request.');
    };
    await expect(id.connectWallet(wallet({ eth_requestAccounts: reject }), PEER)).rejects.toMatchObject({ name: 'WalletError', field: 'eth_requestAccounts' });
    await expect(id.connectWallet(wallet({ eth_requestAccounts: async () => [] }), PEER)).rejects.toMatchObject({ name: 'WalletError', field: 'eth_requestAccounts' });
    await expect(id.connectWallet(wallet({ personal_sign: reject }), PEER)).rejects.toMatchObject({ name: 'WalletError', field: 'personal_sign' });
    const other = privateKeyToAccount(`0x${'43'.repeat(32)}`);
    await expect(id.connectWallet(wallet({ personal_sign: async (p) => other.signMessage({ message: { raw: (p as [Hex])[0] } }) }), PEER)).rejects.toMatchObject({ name: 'WalletError', field: 'personal_sign' });
    await expect(id.connectWallet({} as Eip1193Provider, PEER)).rejects.toMatchObject({ name: 'WalletError', field: 'provider' });
    expect(await store.get()).toEqual(before);
    expect(id.payoutAddress).toBe(id.address);
  });
});
