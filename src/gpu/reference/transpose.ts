import { ShapeError } from '../errors.ts';
import { checkHost, rowMajorStrides, type HostData, type HostTensor } from './types.ts';

/**
 * CPU axis permutation, any rank and dtype: y.shape[i] = x.shape[perm[i]].
 *
 * @example
 * transposeRef({ data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] }, [1, 0]); // [1,4,2,5,3,6], [3,2]
 */
export function transposeRef<T extends HostData>(x: HostTensor<T>, perm: readonly number[]): HostTensor<T> {
  const op = 'transposeRef';
  checkHost(op, 'x', x);
  const rank = x.shape.length;
  if (!Array.isArray(perm) || perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) {
    throw new ShapeError(`${op}: perm must be a permutation of 0..${rank - 1}, got ${JSON.stringify(perm)}`);
  }
  const outShape = perm.map((p) => x.shape[p]!);
  const inStr = rowMajorStrides(x.shape);
  const data = new (x.data.constructor as new (n: number) => T)(x.data.length);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < data.length; i++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += coord[d]! * inStr[perm[d]!]!;
    data[i] = x.data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d]! < outShape[d]!) break;
      coord[d] = 0;
    }
  }
  return { data, shape: outShape };
}
