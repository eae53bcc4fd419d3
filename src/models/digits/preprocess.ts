/**
 * Turns a drawing into the input the digits model was trained on.
 *
 * MNIST digits were size-normalised to fit a 20×20 box (keeping the aspect ratio) and then
 * centred by their centre of mass in a 28×28 frame. A digit drawn on a 280×280 canvas looks
 * nothing like that until it gets the same treatment, and the model's accuracy on drawn digits
 * depends on it far more than on the model itself.
 */

export const MNIST_SIZE = 28;
const BOX = 20;

/**
 * @param ink  coverage per pixel in [0,1] (1 = stroke), row-major `width × height`
 * @returns 784 values in [0,1], white digit on black, centred by mass
 * @example
 * const input = toMnistInput(inkFromCanvas(ctx), 280, 280);
 */
export function toMnistInput(ink: ArrayLike<number>, width: number, height: number): Float32Array {
  if (ink.length !== width * height) throw new RangeError(`ink has ${ink.length} values, expected ${width}×${height}`);
  const out = new Float32Array(MNIST_SIZE * MNIST_SIZE);
  // Bounding box of the ink.
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! > 0.05) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  // Area-average downscale of the box into tw×th: every source pixel contributes to the target
  // pixels it overlaps, weighted by the overlap, which anti-aliases like MNIST's scanner did.
  const small = new Float32Array(tw * th);
  const sx = bw / tw;
  const sy = bh / th;
  for (let ty = 0; ty < th; ty++) {
    const fy0 = y0 + ty * sy, fy1 = fy0 + sy;
    for (let tx = 0; tx < tw; tx++) {
      const fx0 = x0 + tx * sx, fx1 = fx0 + sx;
      let acc = 0;
      for (let y = Math.floor(fy0); y < Math.ceil(fy1); y++) {
        const wy = Math.min(fy1, y + 1) - Math.max(fy0, y);
        if (wy <= 0) continue;
        for (let x = Math.floor(fx0); x < Math.ceil(fx1); x++) {
          const wx = Math.min(fx1, x + 1) - Math.max(fx0, x);
          if (wx <= 0) continue;
          acc += ink[y * width + x]! * wx * wy;
        }
      }
      small[ty * tw + tx] = Math.min(1, acc / (sx * sy));
    }
  }
  // Centre of mass of the scaled digit, then place it so that lands on the frame's centre.
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x]!;
      m += v;
      mx += v * x;
      my += v * y;
    }
  }
  const cx = m > 0 ? mx / m : (tw - 1) / 2;
  const cy = m > 0 ? my / m : (th - 1) / 2;
  // Clamp so the whole digit stays inside the frame even when its mass is far off-centre.
  const ox = Math.min(MNIST_SIZE - tw, Math.max(0, Math.round(MNIST_SIZE / 2 - 0.5 - cx)));
  const oy = Math.min(MNIST_SIZE - th, Math.max(0, Math.round(MNIST_SIZE / 2 - 0.5 - cy)));
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(y + oy) * MNIST_SIZE + (x + ox)] = small[y * tw + x]!;
  }
  return out;
}

/** Ink coverage from RGBA pixels of a canvas where strokes are drawn in white on black. */
export function inkFromRgba(rgba: ArrayLike<number>): Float32Array {
  const n = rgba.length / 4;
  const ink = new Float32Array(n);
  for (let i = 0; i < n; i++) ink[i] = (rgba[4 * i]! + rgba[4 * i + 1]! + rgba[4 * i + 2]!) / (3 * 255);
  return ink;
}
