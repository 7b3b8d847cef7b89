/**
 * Starting a worker thread from a module next to the caller: the compiled .js from dist/; under tsx (tests) the
 * .ts, loaded through tsx's API because a worker thread does not inherit the loader hooks that `--import tsx`
 * registered in the main thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `base` is the caller's import.meta.url, `name` the module's file name without extension. */
export function startWorker(base: string, name: string, options: WorkerOptions = {}): Worker {
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return new Worker(js, options);
  const ts = new URL(`./${name}.ts`, base).href;
  const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
