/**
 * The chain views (#staking, #ledger, #governance, #economy) end to end, driven only through the
 * page a person opens (index.html, src/app): a real relay, two real Chromium tabs with distinct
 * identities (`?identity=`, src/app/network.svelte.ts), real WebRTC and WebGPU (SwiftShader), and
 * the demo's local EVM chain (scripts/demo-chain.ts) handed to the page through
 * `VITE_TABMESH_CHAIN`, exactly as `npm start` does. Every figure a view shows is compared with
 * the chain read node-side with viem; chain time is moved with `d.advance`, never waited for.
 *
 * Tab C contributes (its node bonds the minimum stake when it starts), tab S submits. One sequence:
 * 1. #staking on C: bonded ≥ Params.minStake; an invalid amount is refused naming the field and
 *    moves nothing on-chain; bonding 50 MESH from the form raises the on-chain bond by exactly that.
 * 2. S submits a 1-unit job; C's #ledger shows it pending, "Settle now" settles it (the view's
 *    settled = Settlement.settled(S, C)); after the epoch ends, a second settle anchors it and
 *    "Verify on-chain" accepts its inclusion proof.
 * 3. #governance on C (after bonding 1,000 MESH more at #staking): an out-of-bounds burnBps is
 *    refused with nothing proposed; burnBps 2500 is proposed, voted for, queued and executed from
 *    the view, and Params.get(burnBps) reads 2500.
 * 4. #economy: supply = token.totalSupply(); burned = genesis 150M + Σ EmissionClaimed − supply.
 *
 * Background settlement is off (`?settleEveryMs=0`) so that only the view's button settles.
 *
 * Run: `scripts/loopback-netns.sh npx vitest run --project browser test/browser/chain-views.test.ts`
 */
import '../../scripts/node-polyfills.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { getAddress, parseEther, parseEventLogs, type Address } from 'viem';
import { Relay } from '../../scripts/relay.ts';
import { startDemoChain, type DemoChain } from '../../scripts/demo-chain.ts';
import { launchChromium, serveApp, type LaunchedBrowser, type ServedApp } from '../support/chromium.ts';
import { makeWaitFor } from '../support/wait-for.ts';
import { networkContracts } from '../../src/chain/clients.ts';
import { meshGovernorAbi, paramsAbi, settlementAbi, stakingAbi } from '../../src/chain/artifacts.ts';

type View = Record<string, { text: string; attrs: Record<string, string> }>;

const C = 0; // contributor
const S = 1; // submitter
const BURN_BPS = 1; // Params id of burnBps
const GENESIS = parseEther('150000000');

let d: DemoChain;
let app: ServedApp;
let relay: Relay;
let browser: LaunchedBrowser;
const pages: Page[] = [];
const addr: Address[] = [];
const figures: Record<string, unknown> = {};
const t0 = Date.now();
const lap = (name: string) => (figures[`${name}Ms`] = Date.now() - t0);

const waitFor = makeWaitFor(() => browser.logs, { stateChars: 4000, logLines: 30 });

/** The attributes and text of every `data-testid` element on tab `i` (the last one wins for repeated ids). */
function view(i: number): Promise<View> {
  return pages[i]!.evaluate(() => {
    const out: Record<string, { text: string; attrs: Record<string, string> }> = {};
    for (const el of document.querySelectorAll('[data-testid]')) {
      const attrs: Record<string, string> = {};
      for (const a of el.attributes) if (a.name.startsWith('data-') || a.name.startsWith('aria-') || a.name === 'disabled') attrs[a.name] = a.value;
      out[el.getAttribute('data-testid')!] = { text: (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 300), attrs };
    }
    return out;
  });
}
const views = () => Promise.all(pages.map((_, i) => view(i).catch((e) => String(e))));
const wei = (v: View, id: string): bigint | undefined => {
  const w = v[id]?.attrs['data-wei'];
  return w === undefined || w === '' ? undefined : BigInt(w);
};

function reads() {
  const { publicClient } = d.clients();
  return { publicClient, c: networkContracts(d.config.addresses, { public: publicClient }) };
}
const bondedOnChain = (a: Address) => reads().publicClient.readContract({ address: d.config.addresses.staking!, abi: stakingAbi, functionName: 'bonded', args: [a] }) as Promise<bigint>;
const paramOnChain = (id: number) => reads().publicClient.readContract({ address: d.config.addresses.params, abi: paramsAbi, functionName: 'get', args: [id] }) as Promise<bigint>;

/** Opens a view from the nav, as a person would, and waits until the tab has its identity there. */
async function open(i: number, v: 'ledger' | 'staking' | 'governance' | 'economy' | 'submit' | 'contribute'): Promise<void> {
  await pages[i]!.getByTestId(`nav-${v}`).click();
  await waitFor(`tab ${i}: the ${v} view`, 20_000, async () => {
    const x = await view(i);
    return x[`${v}-view`] && (v === 'submit' || v === 'contribute' || v === 'economy' || !x['chain-access']);
  }, () => view(i));
}

/** Bonds `amount` MESH from the Staking form of tab `i`; returns the form's result line. */
async function bondFromForm(i: number, amount: string): Promise<string> {
  const page = pages[i]!;
  await waitFor(`tab ${i}: the staking view to have read the stake`, 20_000, async () => (await view(i))['staking-bonded']?.attrs['data-wei'], () => view(i));
  await page.getByTestId('bond-amount').fill(amount);
  await waitFor(`tab ${i}: bond enabled`, 20_000, async () => (await view(i))['bond-submit']?.attrs.disabled === undefined, () => view(i));
  await page.getByTestId('bond-submit').click();
  return waitFor(`tab ${i}: the bond of ${amount} MESH to finish`, 30_000, async () => {
    const v = await view(i);
    if (v['staking-error']) throw new Error(`staking-error: ${v['staking-error'].text}`);
    if (v['staking-field-error']) throw new Error(`staking-field-error: ${v['staking-field-error'].text}`);
    return v['staking-result']?.text;
  }, () => view(i));
}

beforeAll(async () => {
  d = await startDemoChain();
  // Vite hands VITE_* variables of its process environment to the page (loadEnv): the app reads it
  // through chainConfigFromEnv(), as under `npm start`.
  process.env.VITE_TABMESH_CHAIN = JSON.stringify(d.config);
  app = await serveApp();
  relay = new Relay({ port: 0 });
  await relay.start();
  browser = await launchChromium({ webrtc: true });
  const base = `${app.url}?relay=${encodeURIComponent(relay.multiaddr)}&settleEveryMs=0`;
  for (let i = 0; i < 2; i++) pages.push(await browser.newPage());
  await pages[S]!.goto(`${base}&identity=cv-submitter#submit`);
  await pages[C]!.goto(`${base}&identity=cv-contributor#contribute`);
  for (const i of [S, C]) await waitFor(`tab ${i} to join the network`, 60_000, async () => (await view(i))['network-status']?.attrs['data-state'] === 'online', views);
  await pages[C]!.getByTestId('contribute-toggle').click();
  await waitFor('the contributor to be contributing', 60_000, async () => {
    const v = await view(C);
    if (v['contribute-toggle']?.attrs['data-state'] === 'unavailable') throw new Error(`contribute unavailable: ${v['contribute-error']?.text}`);
    return v['contribute-toggle']?.attrs['data-state'] === 'on';
  }, views);
  // Each tab's address, from its Ledger view.
  for (const i of [C, S]) {
    await open(i, 'ledger');
    addr[i] = await waitFor(`tab ${i}: its address`, 20_000, async () => {
      const t = (await view(i))['ledger-address']?.text;
      return t && /^0x[0-9a-fA-F]{40}$/.test(t) ? getAddress(t) : undefined;
    }, views);
  }
  expect(addr[C], 'the two tabs have distinct identities').not.toBe(addr[S]);
  await open(S, 'submit');
  lap('setup');
});

afterAll(async () => {
  figures.totalMs = Date.now() - t0;
  console.log('chain-views figures', JSON.stringify(figures));
  await browser?.close();
  await relay?.stop();
  await app?.close();
  await d?.close();
});

describe('the chain views on a real chain', () => {
  it('1. #staking: stake ≥ min stake; the bond form bonds exactly its amount; invalid amounts are refused by field', async () => {
    const { c } = reads();
    const minStake = (await c.params.read.minStake()) as bigint;
    await open(C, 'staking');
    const before = await bondedOnChain(addr[C]!);
    const v = await waitFor('the staking view to show the on-chain stake', 20_000, async () => {
      const v = await view(C);
      return wei(v, 'staking-bonded') === before && v;
    }, () => view(C));
    expect(wei(v, 'staking-bonded')! >= minStake, `bonded ${wei(v, 'staking-bonded')} ≥ minStake ${minStake}`).toBe(true);
    expect(wei(v, 'staking-min'), 'the view’s minimum stake').toBe(minStake);
    expect(v['staking-eligible']!.attrs['data-ok']).toBe('true');

    // Refused inputs: nothing is sent.
    for (const bad of ['abc', '0', '1.0000000000000000001', '99999999']) {
      await pages[C]!.getByTestId('bond-amount').fill(bad);
      await pages[C]!.getByTestId('bond-submit').click();
      const err = await waitFor(`a field error for bond amount "${bad}"`, 10_000, async () => (await view(C))['staking-field-error'], () => view(C));
      expect(err.attrs['data-field'], `field named for "${bad}"`).toBe('bond-amount');
      expect(err.text, `message for "${bad}"`).toMatch(/^Bond amount/);
      expect((await view(C))['staking-result'], 'no transaction result').toBeUndefined();
    }
    expect(await bondedOnChain(addr[C]!), 'on-chain stake after refused inputs').toBe(before);

    const result = await bondFromForm(C, '50');
    expect(result).toMatch(/^Bonded 50 MESH/);
    expect(await bondedOnChain(addr[C]!), 'on-chain stake after bonding 50 MESH').toBe(before + parseEther('50'));
    await waitFor('the view to show the new stake', 20_000, async () => wei(await view(C), 'staking-bonded') === before + parseEther('50'), () => view(C));
    figures.bonded = (before + parseEther('50')).toString();
    lap('staking');
  });

  it('2. a job pays C; #ledger shows it pending, settles it (= Settlement.settled), anchors it, and verifies its proof on-chain', async () => {
    await waitFor('the Submit view to count the contributor', 30_000, async () => /^1 contributor connected\./.test((await view(S))['submit-status']?.text ?? ''), views);
    await pages[S]!.getByTestId('submit-count').fill('50');
    await pages[S]!.getByTestId('submit-replication').fill('1');
    await waitFor('the submit button to be enabled', 10_000, async () => (await view(S))['submit-button']!.attrs.disabled === undefined, () => view(S));
    await pages[S]!.getByTestId('submit-button').click();
    const end = await waitFor('the job to end', 90_000, async () => {
      const st = (await view(S))['submit-status']!.attrs;
      return ['done', 'failed', 'cancelled'].includes(st['data-state']!) && { state: st['data-state'], error: st['data-error'] };
    }, views);
    expect(end, 'job outcome').toEqual({ state: 'done', error: undefined });
    lap('job');

    await open(C, 'ledger');
    const pending = await waitFor('C’s ledger to show the receipt pending', 30_000, async () => {
      const v = await view(C);
      const p = wei(v, 'ledger-pending');
      return p !== undefined && p > 0n && v['ledger-receipt']?.attrs['data-status'] === 'pending' && p;
    }, () => view(C));
    const { c } = reads();
    expect((await c.settlement.read.settled([addr[S]!, addr[C]!]))[0], 'nothing settled on-chain yet').toBe(0n);

    await pages[C]!.getByTestId('ledger-settle').click();
    const res = await waitFor('the settlement to finish', 30_000, async () => {
      const v = await view(C);
      if (v['ledger-error']) throw new Error(v['ledger-error'].text);
      return v['ledger-settle-result']?.text;
    }, () => view(C));
    expect(res).toMatch(/^settled 1 receipt/);
    const [onChain] = await c.settlement.read.settled([addr[S]!, addr[C]!]);
    expect(onChain, 'on-chain settled for (S, C) = the pending amount').toBe(pending);
    await waitFor('the view’s settled to equal the chain’s', 20_000, async () => {
      const v = await view(C);
      return wei(v, 'ledger-settled') === onChain && wei(v, 'ledger-pending') === 0n;
    }, () => view(C));

    // End the epoch; the next settle anchors it.
    await d.advance(d.config.addresses.profile.epochSeconds + 1);
    await pages[C]!.getByTestId('ledger-settle').click();
    await waitFor('the second settle to anchor an epoch', 30_000, async () => {
      const v = await view(C);
      if (v['ledger-error']) throw new Error(v['ledger-error'].text);
      return /anchored epoch/.test(v['ledger-settle-result']?.text ?? '');
    }, () => view(C));
    const digest = await waitFor('the receipt to show anchored', 20_000, async () => {
      const v = await view(C);
      const r = v['ledger-receipt']?.attrs;
      return r?.['data-status'] === 'anchored' && wei(v, 'ledger-anchored') === onChain && r['data-digest'];
    }, () => view(C));
    await pages[C]!.getByTestId(`ledger-proof-${digest}`).click();
    await waitFor('the inclusion proof to show', 20_000, async () => (await view(C))['ledger-proof']?.attrs['data-root'], () => view(C));
    await pages[C]!.getByTestId('ledger-verify').click();
    const ok = await waitFor('the on-chain verification', 20_000, async () => (await view(C))['ledger-verified']?.attrs['data-ok'], () => view(C));
    expect(ok, 'Settlement.verifyInclusion accepts the proof').toBe('true');
    const root = (await view(C))['ledger-proof']!.attrs['data-root'];
    const epoch = BigInt((await view(C))['ledger-proof']!.attrs['data-epoch']!);
    expect((await c.settlement.read.epochRoot([epoch])).toLowerCase(), 'the shown root is the anchored one').toBe(root!.toLowerCase());
    figures.settled = onChain.toString();
    lap('ledger');
  });

  it('3. #governance: an out-of-bounds value is refused; burnBps 2500 is proposed, voted, queued and executed from the view', async () => {
    const { publicClient } = reads();
    const governor = d.config.addresses.governor!;
    const proposalsOnChain = async () =>
      parseEventLogs({ abi: meshGovernorAbi, eventName: 'ProposalCreated', logs: await publicClient.getLogs({ address: governor, fromBlock: BigInt(d.config.addresses.deployBlock), toBlock: 'latest' }) }).length;
    const threshold = (await publicClient.readContract({ address: governor, abi: meshGovernorAbi, functionName: 'proposalThreshold' })) as bigint;

    // Voting power: bond 1,000 MESH more through the Staking form (the tab delegated to itself when it first bonded).
    await open(C, 'staking');
    await bondFromForm(C, '1000');
    // Votes count at clock() − 1: let a second pass on the chain.
    await d.advance(1);

    await open(C, 'governance');
    const votes = await waitFor('the governance view to show enough voting power', 20_000, async () => {
      const v = await view(C);
      const w = wei(v, 'governance-votes');
      return w !== undefined && w >= threshold && v['proposal-submit']?.attrs.disabled === undefined && w;
    }, () => view(C));
    const page = pages[C]!;
    await page.getByTestId('proposal-param').selectOption({ label: 'burnBps' });

    await page.getByTestId('proposal-value').fill('6000');
    await page.getByTestId('proposal-submit').click();
    const err = await waitFor('a field error for burnBps 6000', 10_000, async () => (await view(C))['proposal-field-error'], () => view(C));
    expect(err.attrs['data-field']).toBe('proposal-value');
    expect(err.text).toMatch(/burnBps.*outside its bounds/);
    expect(await proposalsOnChain(), 'nothing proposed on-chain').toBe(0);
    expect((await view(C))['governance-proposals']!.attrs['data-count']).toBe('0');

    await page.getByTestId('proposal-value').fill('2500');
    await page.getByTestId('proposal-submit').click();
    const active = await waitFor('the proposal to show Active', 30_000, async () => {
      const v = await view(C);
      if (v['governance-error']) throw new Error(v['governance-error'].text);
      const p = v['governance-proposal']?.attrs;
      return p?.['data-state'] === 'Active' && v['governance-action']?.attrs['data-param'] === 'burnBps' && v;
    }, () => view(C));
    expect(active['proposal-field-error'], 'no field error for 2500').toBeUndefined();
    expect(active['governance-action']!.attrs['data-value']).toBe('2500');
    expect(await proposalsOnChain(), 'one proposal on-chain').toBe(1);
    const id = BigInt(active['governance-proposal']!.attrs['data-id']!);
    const state = async () => Number(await publicClient.readContract({ address: governor, abi: meshGovernorAbi, functionName: 'state', args: [id] }));

    await page.getByTestId('vote-for').click();
    await waitFor('the vote to be counted', 30_000, async () => {
      const v = await view(C);
      if (v['governance-error']) throw new Error(v['governance-error'].text);
      return wei(v, 'governance-for') === votes;
    }, () => view(C));

    await d.advance(d.config.addresses.profile.votingPeriod + 1);
    await waitFor('the proposal to show Succeeded', 20_000, async () => (await view(C))['governance-proposal']?.attrs['data-state'] === 'Succeeded', () => view(C));
    expect((await view(C))['governance-quorum']!.attrs['data-reached']).toBe('true');
    await waitFor('queue enabled', 10_000, async () => (await view(C))['governance-queue']?.attrs.disabled === undefined, () => view(C));
    await page.getByTestId('governance-queue').click();
    await waitFor('the proposal to show Queued', 30_000, async () => {
      const v = await view(C);
      if (v['governance-error']) throw new Error(v['governance-error'].text);
      return v['governance-proposal']?.attrs['data-state'] === 'Queued';
    }, () => view(C));
    expect(await state(), 'on-chain state Queued').toBe(5);

    await d.advance(d.config.addresses.profile.timelockDelay + 1);
    await waitFor('execute enabled', 20_000, async () => (await view(C))['governance-execute']?.attrs.disabled === undefined, () => view(C));
    await page.getByTestId('governance-execute').click();
    await waitFor('the proposal to show Executed', 30_000, async () => {
      const v = await view(C);
      if (v['governance-error']) throw new Error(v['governance-error'].text);
      return v['governance-proposal']?.attrs['data-state'] === 'Executed';
    }, () => view(C));
    expect(await state(), 'on-chain state Executed').toBe(7);
    expect(await paramOnChain(BURN_BPS), 'Params.get(burnBps) on-chain').toBe(2500n);
    lap('governance');
  });

  it('4. #economy: supply = totalSupply(); burned = genesis + emitted − supply', async () => {
    const { publicClient, c } = reads();
    await open(S, 'economy');
    const a = d.config.addresses;
    const figs = await waitFor('the economy view to match the chain', 30_000, async () => {
      const v = await view(S);
      const supply = (await c.token.read.totalSupply()) as bigint;
      const logs = await publicClient.getLogs({ address: a.settlement, fromBlock: BigInt(a.deployBlock), toBlock: 'latest' });
      const emitted = parseEventLogs({ abi: settlementAbi, eventName: 'EmissionClaimed', logs }).reduce((s, e) => s + (e.args as unknown as { reward: bigint }).reward, 0n);
      const shown = { supply: wei(v, 'economy-supply'), emitted: wei(v, 'economy-emitted'), burned: wei(v, 'economy-burned') };
      return shown.supply === supply && shown.emitted === emitted && shown.burned === GENESIS + emitted - supply && { ...shown, v };
    }, () => view(S));
    expect(figs.burned! > 0n, 'fees were burned at settlement').toBe(true);
    expect(figs.v['economy-burn-bps']!.attrs['data-bps'], 'the executed burnBps').toBe('2500');
    expect(wei(figs.v, 'economy-staked'), 'staked = token balance of Staking').toBe((await c.token.read.balanceOf([a.staking!])) as bigint);
    figures.economy = { supply: figs.supply!.toString(), emitted: figs.emitted!.toString(), burned: figs.burned!.toString() };
    expect(browser.logs.filter((l) => l.startsWith('pageerror')), 'page errors').toEqual([]);
    lap('economy');
  });
});
