/** Seeded random values for property-style tests (Mulberry32), so a failure replays exactly. */
import { SCHEMAS, type MessageOf, type MessageType } from '../../../src/mesh/messages.ts';
import type { FieldType } from '../../../src/mesh/codec.ts';

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(rnd: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const x = Math.floor(rnd() * 2 ** 32);
    for (let k = 0; k < 4 && i + k < n; k++) b[i + k] = (x >>> (8 * k)) & 0xff;
  }
  return b;
}

const hexOf = (rnd: () => number, n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
const CHARS = ['a', 'Z', '0', ' ', 'é', '€', '𝄞', '-', '\u0000'];

/** A random valid value for a field; sizes skew small, with the occasional value at the limit. */
function randomValue(f: FieldType<unknown>, rnd: () => number, name: string): unknown {
  const big = rnd() < 0.05;
  switch (f.kind) {
    case 'u8':
    case 'u16':
    case 'u32':
    case 'uint': {
      // Probe the bounds the schema enforces by asking check() (bounds are not exposed otherwise).
      const tries = [0, 1, 2, 7, 255, 1000, 65_535, 1_000_000, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER];
      const ok = tries.filter((v) => {
        try {
          f.check(v, name);
          return true;
        } catch {
          return false;
        }
      });
      return ok[Math.floor(rnd() * ok.length)]!;
    }
    case 'u64':
      return big ? 0xffff_ffff_ffff_ffffn : BigInt(Math.floor(rnd() * 1e12));
    case 'f64':
      return rnd() * 1000;
    case 'bool':
      return rnd() < 0.5;
    case 'str': {
      const max = f.maxBytes - 4;
      if (name.endsWith('.code')) return 'Err' + hexOf(rnd, 4);
      const n = big ? max : Math.floor(rnd() * Math.min(max, 20));
      let s = '';
      while (new TextEncoder().encode(s + 'x').byteLength <= n) {
        const c = CHARS[Math.floor(rnd() * CHARS.length)]!;
        if (new TextEncoder().encode(s + c).byteLength > n) break;
        s += c;
      }
      return s;
    }
    case 'bytes': {
      const max = f.maxBytes - 4;
      return randomBytes(rnd, big ? Math.min(max, 70_000) : Math.floor(rnd() * Math.min(max, 200)));
    }
    case 'hash':
      return hexOf(rnd, 64);
    case 'address':
      return '0x' + hexOf(rnd, 40);
    case 'list': {
      const n = Math.floor(rnd() * 5);
      // list items are hashes in every current schema
      return Array.from({ length: n }, () => hexOf(rnd, 64));
    }
    default:
      throw new Error(`no generator for field kind ${f.kind}`);
  }
}

export function randomMessage<T extends MessageType>(type: T, rnd: () => number): MessageOf<T> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(SCHEMAS[type].fields)) out[k] = randomValue(f as FieldType<unknown>, rnd, `${type}.${k}`);
  return out as MessageOf<T>;
}
