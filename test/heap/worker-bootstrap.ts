/*
 * Runs a TypeScript worker for the heap tests and waits for its one reply.
 *
 * On Node 20.20 a plain Worker given execArgv ['--import', 'tsx'] still failed to import .ts
 * files here (ERR_UNKNOWN_FILE_EXTENSION, even for a late dynamic import), so the entry is a
 * bootstrap that registers tsx's loader hooks in the worker, then imports the TypeScript file.
 */
import { Worker } from 'node:worker_threads';

/** Start the worker at entry with workerData; resolve with its first message, reject on error or after timeoutMs. */
export function runTsWorker<Reply>(entry: URL, workerData: unknown, timeoutMs: number): Promise<Reply> {
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  const worker = new Worker(bootstrap, { eval: true, workerData });
  return new Promise<Reply>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker did not answer in time')), timeoutMs);
    worker.once('message', (m: Reply) => {
      clearTimeout(timer);
      resolve(m);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  }).finally(() => void worker.terminate());
}
