import { describe, expect, it } from 'vitest';
import { MNIST_SIZE, inkFromRgba, toMnistInput } from './preprocess.ts';

function canvas(w: number, h: number, draw: (x: number, y: number) => boolean): Float32Array {
  const ink = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) ink[y * w + x] = draw(x, y) ? 1 : 0;
  return ink;
}

function bbox(img: Float32Array) {
  let x0 = 99, y0 = 99, x1 = -1, y1 = -1, m = 0, mx = 0, my = 0;
  for (let y = 0; y < MNIST_SIZE; y++) for (let x = 0; x < MNIST_SIZE; x++) {
    const v = img[y * MNIST_SIZE + x]!;
    if (v > 0.05) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    m += v; mx += v * x; my += v * y;
  }
  return { w: x1 - x0 + 1, h: y1 - y0 + 1, cx: mx / m, cy: my / m };
}

describe('toMnistInput', () => {
  it('returns an empty frame for an empty drawing', () => {
    expect(toMnistInput(new Float32Array(100 * 100), 100, 100).every((v) => v === 0)).toBe(true);
  });

  it('fits the longest side into 20 px and centres the mass near (13.5, 13.5)', () => {
    // A small off-centre vertical bar in the corner of a big canvas.
    const ink = canvas(280, 280, (x, y) => x >= 10 && x < 30 && y >= 20 && y < 120);
    const img = toMnistInput(ink, 280, 280);
    const b = bbox(img);
    expect(b.h).toBeGreaterThanOrEqual(19);
    expect(b.h).toBeLessThanOrEqual(21);
    expect(b.w).toBeLessThanOrEqual(6);
    expect(Math.abs(b.cx - 13.5)).toBeLessThan(1);
    expect(Math.abs(b.cy - 13.5)).toBeLessThan(1);
    expect(Math.max(...img)).toBeLessThanOrEqual(1);
  });

  it('keeps the aspect ratio of a wide stroke', () => {
    const img = toMnistInput(canvas(200, 200, (x, y) => x >= 20 && x < 180 && y >= 90 && y < 110), 200, 200);
    const b = bbox(img);
    expect(b.w).toBeGreaterThanOrEqual(19);
    expect(b.h).toBeLessThanOrEqual(4);
  });

  it('rejects a buffer that does not match its dimensions', () => {
    expect(() => toMnistInput(new Float32Array(10), 4, 4)).toThrow(/expected 4×4/);
  });

  it('reads ink from white-on-black RGBA', () => {
    const ink = inkFromRgba([255, 255, 255, 255, 0, 0, 0, 255]);
    expect([...ink]).toEqual([1, 0]);
  });
});
