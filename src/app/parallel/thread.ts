import { Worker, type TransferListItem } from 'node:worker_threads';

/**
 * Starts a worker thread on a module. A TypeScript module (tests and benchmarks run the sources
 * through tsx) registers the loader first: Node 20 does not pass the main thread's loader on to
 * workers. The built code starts its .js module directly.
 */
export function startWorker(module: URL, workerData: unknown, transferList: readonly TransferListItem[] = []): Worker {
  const options = { workerData, transferList: [...transferList] };
  if (!module.pathname.endsWith('.ts')) return new Worker(module, options);
  return new Worker(`import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(module.href)}); })`, { ...options, eval: true });
}
