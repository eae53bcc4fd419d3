/**
 * tabmesh's in-page API: what a web page imports to submit jobs to the mesh and to contribute
 * its visitor's GPU.
 *
 * @example
 * import { connect, DEFAULT_MODEL_URL } from './src/client/index.ts';
 * import { fetchHeldOutDigits } from './src/models/digits/held-out.ts';
 * const client = await connect();
 * const { inputs, labels, count } = await fetchHeldOutDigits(200);
 * const job = client.submit({ model: { url: DEFAULT_MODEL_URL }, inputs, samples: count, labels });
 * for await (const p of job) console.log(`${p.counts.done}/${p.units.length}`);
 * console.log((await job.result).accuracy);
 * await client.close();
 */
export { connect, type ConnectOptions } from './connect.ts';
export { TabmeshClient, type TabmeshClientOptions } from './client.ts';
export { ClientJob } from './client-job.ts';
export { validateJobSpec, JOB_SPEC_LIMITS } from './validate-job-spec.ts';
export { gpuUnavailableReason, toContributeError, toJobError } from './map-errors.ts';
export * from './errors.ts';
export type * from './types.ts';
export { DEFAULT_MODEL_URL } from '../jobs/index.ts';
