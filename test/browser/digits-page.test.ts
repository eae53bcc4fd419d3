/**
 * The page a person opens: draw a digit, see it classified on WebGPU in the compute worker.
 * Real Chromium, real WebGPU (SwiftShader), the real trained model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, serveApp, type LaunchedBrowser, type ServedApp } from '../support/chromium.ts';

let app: ServedApp;
beforeAll(async () => {
  app = await serveApp();
});
afterAll(async () => {
  await app?.close();
});

type Stroke = [number, number][];

/** Draws strokes on the pad with the mouse, in canvas coordinates (0..280). */
async function draw(page: Page, strokes: Stroke[]): Promise<void> {
  const box = (await page.getByTestId('pad').boundingBox())!;
  const sx = box.width / 280;
  const sy = box.height / 280;
  for (const s of strokes) {
    const [first, ...rest] = s;
    await page.mouse.move(box.x + first![0] * sx, box.y + first![1] * sy);
    await page.mouse.down();
    for (const [x, y] of rest) await page.mouse.move(box.x + x * sx, box.y + y * sy, { steps: 8 });
    await page.mouse.up();
  }
}

/** Points along an ellipse, for a zero. */
function ellipse(cx: number, cy: number, rx: number, ry: number): Stroke {
  return Array.from({ length: 33 }, (_, i) => [cx + rx * Math.sin((i / 32) * 2 * Math.PI), cy - ry * Math.cos((i / 32) * 2 * Math.PI)] as [number, number]);
}

async function predictionAfter(page: Page, strokes: Stroke[]): Promise<number> {
  const clear = page.getByRole('button', { name: 'Clear' });
  if (await clear.isEnabled()) await clear.click();
  await draw(page, strokes);
  // The pad reclassifies while drawing; wait for the answer to the finished drawing.
  await page.waitForTimeout(300);
  await page.waitForFunction(() => document.querySelector('[data-testid="prediction"]') !== null);
  await page.waitForTimeout(500);
  return Number(await page.getByTestId('prediction').getAttribute('data-digit'));
}

describe('digit page with WebGPU', () => {
  let browser: LaunchedBrowser;
  let page: Page;
  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(app.url + '?debug');
    await page.waitForFunction(() => document.querySelector('[data-testid="model"]')?.textContent?.includes('digits'), undefined, { timeout: 120_000 });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the adapter and a benchmark score', async () => {
    expect(await page.getByTestId('adapter').textContent()).toMatch(/\S/);
    expect(await page.getByTestId('score').textContent()).toMatch(/GFLOP\/s/);
  });

  it('measures the GPU once: a reload reuses the stored autotune choice', async () => {
    const measuredAt = () => page.evaluate(() => (globalThis as any).tabmesh.compute.status.ready.score.measuredAt as number);
    const first = await measuredAt();
    await page.reload();
    await page.waitForFunction(() => document.querySelector('[data-testid="model"]')?.textContent?.includes('digits'), undefined, { timeout: 120_000 });
    expect(await measuredAt()).toBe(first);
  });

  it('classifies drawn digits and shows probabilities that sum to 1', async () => {
    const one: Stroke[] = [[[150, 40], [140, 240]]];
    const seven: Stroke[] = [[[70, 50], [210, 50], [120, 240]]];
    const zero: Stroke[] = [ellipse(140, 140, 60, 95)];
    expect(await predictionAfter(page, one), browser.logs.join('\n')).toBe(1);
    expect(await predictionAfter(page, seven)).toBe(7);
    expect(await predictionAfter(page, zero)).toBe(0);
    const pcts = await page.locator('[data-testid^="prob-"]').allTextContents();
    const sum = pcts.map((p) => parseFloat(p)).reduce((a, b) => a + b, 0);
    expect(sum).toBeGreaterThan(99);
    expect(sum).toBeLessThan(101);
  });

  it('recovers from a device loss in the worker and keeps classifying', async () => {
    const losses = await page.evaluate(async () => {
      const t = (globalThis as any).tabmesh;
      await t.compute.worker.loseDevice();
      return new Promise<number>((resolve) => {
        const check = () => (t.compute.deviceLosses > 0 ? resolve(t.compute.deviceLosses) : setTimeout(check, 50));
        check();
      });
    });
    expect(losses).toBeGreaterThanOrEqual(1);
    expect(await predictionAfter(page, [[[150, 40], [140, 240]]])).toBe(1);
  });
});

describe('digit page without a usable WebGPU', () => {
  it('explains that no adapter is available when WebGPU finds no GPU', async () => {
    // Without --enable-unsafe-webgpu, Chromium on Linux exposes navigator.gpu but no adapter.
    const browser = await launchChromium({ webgpu: false });
    try {
      const page = await browser.newPage();
      await page.goto(app.url);
      const box = page.getByTestId('unavailable');
      await box.waitFor({ timeout: 60_000 });
      expect(await box.getAttribute('data-reason')).toBe('no-adapter');
      expect(await box.textContent()).toMatch(/no GPU is available/i);
    } finally {
      await browser.close();
    }
  });

  it('explains that the browser lacks WebGPU when navigator.gpu is missing', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
      });
      await page.goto(app.url);
      const box = page.getByTestId('unavailable');
      await box.waitFor({ timeout: 60_000 });
      expect(await box.getAttribute('data-reason')).toBe('no-webgpu');
      expect(await box.textContent()).toMatch(/has no WebGPU/);
    } finally {
      await browser.close();
    }
  });
});
