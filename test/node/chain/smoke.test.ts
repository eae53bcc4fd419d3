import { describe, expect, it } from 'vitest';
import { startTestChain } from './support.ts';

describe('test chain', () => {
  it('deploys the network and funds accounts', async () => {
    const t = await startTestChain();
    expect(await t.read.token.read.symbol()).toBe('MESH');
    expect(await t.read.token.read.balanceOf([t.requester.address])).toBe(10n ** 24n);
    expect(await t.read.settlement.read.currentEpoch()).toBe(0n);
    await t.travelToEpoch(3);
    expect(await t.read.settlement.read.currentEpoch()).toBe(3n);
  });
});
