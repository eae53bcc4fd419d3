/**
 * The local chain keeps its state across restarts (log replay from the data dir), deploys only on
 * first start, and serves JSON-RPC over HTTP that viem's http transport uses, reverts included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { custom, http, maxUint256, parseEther } from 'viem';
import { createChainClients, localChain, networkContracts } from '../../../src/chain/clients.ts';
import { devAccount } from '../../../src/chain/dev-accounts.ts';
import { startLocalChain } from '../../../src/chain/local.ts';
import { ChainServer } from '../../../src/chain/server.ts';
import { domainOf, expectRevert, signTestReceipt } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'tabmesh-chain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('local chain', () => {
  it('restores state, addresses and block history after a restart, and keeps going', async () => {
    const requester = devAccount(1);
    const worker = devAccount(2);
    const first = await startLocalChain({ dataDir: dir, demoAccounts: 3 });
    expect(first.deployed).toBe(true);
    const chain = localChain(first.provider.chainId);
    const c1 = networkContracts(first.addresses, {
      public: createChainClients({ transport: custom(first.provider), chain }).publicClient,
      wallet: createChainClients({ transport: custom(first.provider), chain, account: requester.account }).walletClient,
    });
    const pub1 = createChainClients({ transport: custom(first.provider), chain }).publicClient;
    await pub1.waitForTransactionReceipt({ hash: await c1.token.write.approve([first.addresses.settlement, maxUint256]) });
    await pub1.waitForTransactionReceipt({ hash: await c1.settlement.write.deposit([parseEther('50')]) });
    const r = { requester: requester.address, worker: worker.address, cumulativeAmount: parseEther('1'), cumulativeWork: 10n };
    const sig = signTestReceipt(requester.privateKey, domainOf(first.provider.chainId, first.addresses.settlement), r);
    await pub1.waitForTransactionReceipt({ hash: await c1.settlement.write.settleBatch([[r], [sig]]) });
    const block = await pub1.getBlock();
    const balance = await c1.token.read.balanceOf([worker.address]);

    const second = await startLocalChain({ dataDir: dir, demoAccounts: 3 });
    expect(second.deployed).toBe(false);
    expect(second.addresses).toEqual(first.addresses);
    const pub2 = createChainClients({ transport: custom(second.provider), chain }).publicClient;
    const c2 = networkContracts(second.addresses, {
      public: pub2,
      wallet: createChainClients({ transport: custom(second.provider), chain, account: requester.account }).walletClient,
    });
    expect((await pub2.getBlock()).hash).toBe(block.hash);
    expect(await c2.token.read.balanceOf([worker.address])).toBe(balance);
    expect(await c2.settlement.read.settled([requester.address, worker.address])).toEqual([parseEther('1'), 10n]);
    const logs = await c2.settlement.getEvents.ReceiptSettled({}, { fromBlock: 0n });
    expect(logs).toHaveLength(1);
    // the replayed chain accepts new transactions (nonces continue) and refuses the old receipt
    await pub2.waitForTransactionReceipt({ hash: await c2.settlement.write.deposit([parseEther('1')]) });
    await expectRevert(c2.settlement.write.settleBatch([[r], [sig]]), 'ReceiptReplayed', [0n]);
  });

  it('serves JSON-RPC on 127.0.0.1 for viem http(), decoding custom errors', async () => {
    const local = await startLocalChain({ dataDir: null, demoAccounts: 2 });
    const server = new ChainServer({ provider: local.provider });
    await server.start();
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const chain = localChain(local.provider.chainId, server.url);
      const { publicClient } = createChainClients({ transport: http(server.url), chain });
      const wallet = createChainClients({ transport: http(server.url), chain, account: devAccount(1).account }).walletClient;
      const c = networkContracts(local.addresses, { public: publicClient, wallet });
      expect(await publicClient.getChainId()).toBe(31337);
      expect(await c.token.read.symbol()).toBe('MESH');
      await expectRevert(c.settlement.write.settleBatch([[], []]), 'EmptyBatch');
      const res = await fetch(server.url, { method: 'POST', body: JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' }, { jsonrpc: '2.0', id: 2, method: 'nope' }]) });
      const out = (await res.json()) as { id: number; result?: string; error?: { code: number } }[];
      expect(out[0]?.result).toMatch(/^0x/);
      expect(out[1]?.error?.code).toBe(-32601);
    } finally {
      await server.stop();
    }
  });
});
