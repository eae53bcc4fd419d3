import { ShapeError } from '../errors.ts';
import { checkHost, fmtShape, type HostTensor } from './types.ts';

/**
 * CPU embedding lookup: table [V,D], ids (Int32Array or Uint32Array, any shape) →
 * [...ids, D]; an id outside [0, V) gives a row of zeros, as on the GPU.
 *
 * @example
 * embeddingRef(table, { data: new Int32Array([2, -1]), shape: [2] }); // row 2, then zeros
 */
export function embeddingRef(table: HostTensor, ids: HostTensor<Int32Array | Uint32Array>): HostTensor {
  const op = 'embeddingRef';
  checkHost(op, 'table', table);
  checkHost(op, 'ids', ids);
  if (table.shape.length !== 2) throw new ShapeError(`${op}: table must have rank 2 [V,D], got ${fmtShape(table.shape)}`);
  if (!(ids.data instanceof Int32Array || ids.data instanceof Uint32Array)) throw new ShapeError(`${op}: ids must be Int32Array or Uint32Array`);
  const [V, D] = table.shape as [number, number];
  const out = new Float32Array(ids.data.length * D);
  ids.data.forEach((id: number, r: number) => {
    if (id >= 0 && id < V) out.set(table.data.subarray(id * D, id * D + D), r * D);
  });
  return { data: out, shape: [...ids.shape, D] };
}
