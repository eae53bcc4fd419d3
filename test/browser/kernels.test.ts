/**
 * The kernel compliance suite in headless Chromium (SwiftShader WebGPU), on the main thread and
 * in a Worker (where the compute worker runs kernels in production).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, serveApp, type LaunchedBrowser, type ServedApp } from '../support/chromium.ts';
import type { ComplianceRun } from './harness/kernels-harness.ts';

const ALL_OPS = ['matmul', 'conv2d', 'maxPool2d', 'avgPool2d', 'add', 'mul', 'relu', 'gelu', 'silu', 'softmax', 'layerNorm', 'rmsNorm', 'embedding', 'argmax', 'transpose'];

describe('kernel compliance in Chromium', () => {
  let app: ServedApp;
  let browser: LaunchedBrowser;
  let page: Page;
  beforeAll(async () => {
    app = await serveApp();
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(app.url + 'test/browser/harness/kernels.html');
    await page.waitForFunction(() => document.getElementById('log')?.textContent === 'ready');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  for (const where of ['main', 'worker'] as const) {
    it(`every case passes on the ${where} thread`, async () => {
      const run = await page.evaluate((w) => (window as unknown as { runCompliance: (w: string) => Promise<ComplianceRun> }).runCompliance(w), where);
      expect(run.error, browser.logs.join('\n')).toBeUndefined();
      expect(run.adapter).toMatch(/\S/);
      expect(new Set(run.results.map((r) => r.op))).toEqual(new Set(ALL_OPS));
      expect(new Set(run.results.filter((r) => r.op === 'matmul').map((r) => r.variant))).toEqual(new Set(['tiled', 'reg', 'reg-sg']));
      expect(new Set(run.results.filter((r) => r.op === 'conv2d').map((r) => r.variant))).toEqual(new Set(['direct', 'reg']));
      const failed = run.results.filter((r) => !r.pass).map((r) => `${r.name}: ${r.detail}`);
      expect(failed, failed.join('\n')).toEqual([]);
    });
  }
});
