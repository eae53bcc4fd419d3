/**
 * Runs the shared kernel compliance suite (test/compliance/kernels.ts) inside Chromium's WebGPU,
 * on the page's main thread and in a dedicated Worker, and publishes the results on `window`
 * for the browser test to assert.
 */
import { GpuRuntime } from '../../../src/gpu/runtime.ts';
import { kernelCases, runKernelCase, type KernelCaseResult } from '../../compliance/kernels.ts';

export interface ComplianceRun {
  adapter: string;
  results: (KernelCaseResult & { op: string; variant?: string })[];
  error?: string;
}

async function runAll(): Promise<ComplianceRun> {
  const rt = new GpuRuntime();
  await rt.start();
  try {
    const cases = kernelCases({ features: rt.device.features });
    const results: ComplianceRun['results'] = [];
    for (const c of cases) {
      try {
        results.push({ ...(await runKernelCase(rt, c)), op: c.op, ...(c.variant ? { variant: c.variant } : {}) });
      } catch (e) {
        results.push({ name: c.name, op: c.op, maxAbsErr: NaN, maxRelErr: NaN, tolerance: c.tolerance, pass: false, detail: `threw ${(e as Error).name}: ${(e as Error).message}` });
      }
    }
    return { adapter: rt.report.description || rt.report.architecture, results };
  } finally {
    await rt.stop();
  }
}

if (typeof window === 'undefined') {
  // Inside the Worker: run and post back.
  runAll().then(
    (r) => postMessage(r),
    (e: Error) => postMessage({ adapter: '', results: [], error: `${e.name}: ${e.message}` }),
  );
} else {
  const w = window as unknown as { runCompliance: (where: 'main' | 'worker') => Promise<ComplianceRun> };
  w.runCompliance = (where) => {
    if (where === 'main') return runAll().catch((e: Error) => ({ adapter: '', results: [], error: `${e.name}: ${e.message}` }));
    return new Promise((resolve) => {
      const worker = new Worker(new URL('./kernels-harness.ts', import.meta.url), { type: 'module' });
      worker.onmessage = (e: MessageEvent<ComplianceRun>) => {
        resolve(e.data);
        worker.terminate();
      };
      worker.onerror = (e) => resolve({ adapter: '', results: [], error: `worker error: ${e.message}` });
    });
  };
  document.getElementById('log')!.textContent = 'ready';
}
