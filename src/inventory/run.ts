/**
 * `rdbscope index`: one decoding Worker per dump (at most two at a time), this thread writing every batch into
 * one inventory. See writer.ts for the atomicity rules and worker.ts for the decoding side.
 */
import { DEFAULT_SAMPLE, type SampleOptions } from '../shapes/sampler.js';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { startWorker } from '../worker-start.js';
import {
  DECISION_GO, DECISION_STOP, SHARED_DECISION, SHARED_IN_FLIGHT, type WorkerInput, type WorkerMessage,
} from './batch.js';
import { analyzeAfterLoad, openForLoad, partPath, removePart, type Db, type LoadTarget } from './db.js';
import { hashFileInThread } from './hash.js';
import { checkMemoryModel, makePatterns } from './integrations.js';
import { Progress } from './progress.js';
import { InventoryWriter } from './writer.js';
import { lockInventory, type InventoryLock } from './lock.js';
import type { AllocatorName } from '../memory/index.js';
import type { LiveSpec } from '../live/source.js';

export interface IndexOptions {
  out: string;
  label?: string;
  force: boolean;
  quiet: boolean;
  patterns: string[];
  memoryModel: string | null;
  /** The writing server's allocator build (default 'bundled'). */
  allocator?: AllocatorName;
  /** The writer was a cluster node (undefined: from the dump). */
  cluster?: boolean;
  checksum: boolean;
  /** Dumps decoded at the same time (default 2). */
  parallel?: number;
  batchSize?: number;
  /** Pull the one snapshot from this running server (the one path given is its redis://host:port). */
  live?: LiveSpec;
  /** Value shapes: the sample's bounds, null or absent for none. */
  valuesSample?: SampleOptions | null;
}

export interface IndexResult {
  source: string;
  snapshotId: number | null;
  status: 'complete' | 'failed' | 'refused';
  keys: number;
  memory: number;
  seconds: number;
  error: string | null;
}

/**
 * The decoding thread's young generation: V8 grows it to 48 MiB under a steady allocation rate (the value sample's
 * copies, the decoder's views), which is resident memory the decoder gains little from; 16 MiB keeps the
 * scavenges cheap.
 */
const YOUNG_GEN_MB = 16;

/** A worker that decodes the dumps of one lane, one after the other; replaced when it dies or is stopped. */
class Lane {
  private worker: Worker | null = null;

  get(): Worker {
    if (!this.worker) {
      const w = startWorker(import.meta.url, 'worker', { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GEN_MB } });
      w.once('exit', () => {
        if (this.worker === w) this.worker = null;
      });
      this.worker = w;
    }
    return this.worker;
  }

  /** Stops the current worker (mid-dump): the next get() starts a fresh one. */
  kill(): void {
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
  }
}

interface Job {
  /** Its position in the run (names its part file). */
  n: number;
  path: string;
  offset: number;
  size: number | null;
  done: boolean;
}

class Indexer {
  private readonly writer: InventoryWriter;
  private readonly jobs: Job[];
  private readonly loading = new Set<number>();
  private readonly claimed = new Set<string>();
  /** Part files being written by decoding threads (with more than one lane). */
  private readonly parts = new Set<string>();
  private lanes = 1;
  private keysWritten = 0;
  private batchesWritten = 0;
  private readonly killAfter = Number(process.env.RDBSCOPE_TEST_KILL_AFTER_BATCHES ?? 0);

  constructor(
    db: Db,
    private readonly opts: IndexOptions,
    paths: string[],
  ) {
    this.writer = new InventoryWriter(db);
    this.jobs = paths.map((p, n) => ({ n, path: p, offset: 0, size: p === '-' || opts.live ? null : statSync(p).size, done: false }));
  }

  progress(): Progress {
    return new Progress({
      bytesDone: () => this.jobs.reduce((s, j) => s + (j.done ? (j.size ?? j.offset) : j.offset), 0),
      bytesTotal: () => (this.jobs.some((j) => j.size === null) ? null : this.jobs.reduce((s, j) => s + (j.size ?? 0), 0)),
      keys: () => this.keysWritten,
      active: () => this.loading.size,
    });
  }

  /** Marks every snapshot still loading as failed and deletes the part files (on SIGINT/SIGTERM). */
  abandon(reason: string): void {
    for (const id of this.loading) this.writer.fail(id, reason);
    this.loading.clear();
    for (const p of this.parts) removePart(p);
  }

  async runAll(): Promise<IndexResult[]> {
    const results: IndexResult[] = new Array(this.jobs.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      const l = new Lane();
      try {
        while (next < this.jobs.length) {
          const i = next++;
          results[i] = await this.runOne(this.jobs[i]!, l);
        }
      } finally {
        l.kill();
      }
    };
    const lanes = Math.max(1, Math.min(this.opts.parallel ?? Math.min(2, availableParallelism()), this.jobs.length));
    this.lanes = lanes;
    await Promise.all(Array.from({ length: lanes }, lane));
    return results;
  }

  private runOne(job: Job, lane: Lane): Promise<IndexResult> {
    const started = Date.now();
    const shared = new SharedArrayBuffer(8);
    const flags = new Int32Array(shared);
    const input: WorkerInput = {
      path: job.path, checksum: this.opts.checksum, memoryModel: this.opts.memoryModel, allocator: this.opts.allocator ?? 'bundled', cluster: this.opts.cluster, patterns: this.opts.patterns,
      batchSize: this.opts.batchSize ?? 2000, shared, maxInFlight: 8, valuesSample: this.opts.valuesSample === undefined ? DEFAULT_SAMPLE : this.opts.valuesSample,
    };
    if (this.opts.live) input.live = this.opts.live;
    const label = this.opts.label ?? (job.path === '-' ? 'stdin' : this.opts.live ? job.path : basename(job.path));
    // One lane: this thread inserts the rows while the worker decodes (the two overlap). Several: each worker
    // writes its dump's rows into a part file, which this thread copies in whole (SQLite copying in C), so that
    // this one writer does not limit how many dumps are decoded at a time.
    if (this.lanes > 1) {
      input.part = { path: partPath(this.opts.out, job.n), label, source: job.path };
      this.parts.add(input.part.path);
    }
    const dropPart = (): void => {
      if (!input.part) return;
      removePart(input.part.path);
      this.parts.delete(input.part.path);
    };
    const hashFirst = this.mayBeDuplicate(job);
    const worker = lane.get();
    let id: number | null = null;
    let claim: string | null = null;
    let hashing: ReturnType<typeof hashFileInThread> | null = null;
    let sha256: string | null = null;
    return new Promise<IndexResult>((resolve) => {
      let settled = false;
      const finish = (status: IndexResult['status'], keys: number, memory: number, error: string | null): void => {
        if (settled) return;
        settled = true;
        if (id !== null && status !== 'complete') this.writer.fail(id, error ?? 'stopped');
        if (id !== null) this.loading.delete(id);
        if (claim !== null) this.claimed.delete(claim);
        hashing?.stop();
        dropPart();
        job.done = true;
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        resolve({ source: job.path, snapshotId: id, status, keys, memory, seconds: (Date.now() - started) / 1000, error });
      };
      const decide = (d: number): void => {
        Atomics.store(flags, SHARED_DECISION, d);
        Atomics.notify(flags, SHARED_DECISION);
      };
      /** An unexpected failure (SQLite, say) while handling the worker's messages. */
      const fault = (err: unknown): void => {
        decide(DECISION_STOP);
        lane.kill(); // it may be mid-dump
        finish('failed', 0, 0, `${job.path}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      };
      /** Refuses a duplicate, or starts the snapshot and lets the worker decode (sha256 null: not known yet). */
      const start = (size: number | null): void => {
        const refusal = this.refusal(job.path, sha256, size);
        if (refusal !== null) {
          decide(DECISION_STOP);
          return finish('refused', 0, 0, refusal);
        }
        claim = sha256 === null ? null : `${sha256}/${size}`;
        if (claim !== null) this.claimed.add(claim);
        const identity = { label, source: job.path, fileSize: size, sha256 };
        this.writer.removeStale(identity);
        id = this.writer.begin(identity, this.opts.memoryModel);
        this.loading.add(id);
        decide(DECISION_GO);
      };
      const onMessage = (m: WorkerMessage): void => {
        try {
          if (m.kind === 'identity') {
            if (m.gzip) job.size = null;
            if (job.path !== '-' && !this.opts.live) hashing = hashFileInThread(job.path);
            if (!hashing || !hashFirst) return start(m.size);
            // a possible duplicate: hashed before any decoding, so that it is refused before any work
            hashing.result.then((hex) => {
              sha256 = hex;
              if (!settled) start(m.size);
            }).catch(fault);
          } else if (m.kind === 'keys') {
            this.writer.insertBatch(id!, m.batch, m.ctimeMs);
            Atomics.sub(flags, SHARED_IN_FLIGHT, 1);
            Atomics.notify(flags, SHARED_IN_FLIGHT);
            job.offset = m.offset;
            this.keysWritten += m.batch.n;
            if (this.killAfter > 0 && ++this.batchesWritten >= this.killAfter) process.kill(process.pid, 'SIGKILL');
          } else if (m.kind === 'progress') {
            job.offset = m.offset;
            this.keysWritten += m.keys;
            if (this.killAfter > 0 && ++this.batchesWritten >= this.killAfter) process.kill(process.pid, 'SIGKILL');
          } else if (m.kind === 'done') {
            job.offset = m.offset;
            const complete = (): void => {
              if (m.part !== undefined) this.writer.absorb(id!, m.part);
              else this.writer.finish(id!, m.facts);
              finish('complete', m.facts.keyCount, m.facts.memoryTotal, null);
            };
            if (!hashing || sha256 !== null) return complete();
            // The hash was computed alongside the decoding: a duplicate is found now, and its rows are dropped.
            hashing.result.then((hex) => {
              if (settled) return;
              const refusal = this.refusal(job.path, hex, job.size);
              if (refusal !== null) {
                this.writer.deleteSnapshot(id!);
                return finish('refused', 0, 0, refusal);
              }
              this.writer.setSha256(id!, hex);
              complete();
            }).catch(fault);
          } else {
            finish('failed', 0, 0, m.message);
          }
        } catch (err) {
          fault(err);
        }
      };
      const onError = (err: Error): void => finish('failed', 0, 0, `${job.path}: ${err.message.split('\n')[0]}`);
      const onExit = (code: number): void => finish('failed', 0, 0, `${job.path}: decoder stopped (exit code ${code})`);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage(input);
    });
  }

  /**
   * Whether the job's file should be hashed before it is decoded: when a complete snapshot or another dump of this
   * run has the same size (only then can it be a duplicate, and it is cheaper to refuse it before decoding).
   * Otherwise it is hashed while it is decoded. With --force a complete snapshot of the same file is no reason to
   * refuse (see refusal), so only another dump of this run is.
   */
  private mayBeDuplicate(job: Job): boolean {
    if (job.size === null) return false;
    return this.jobs.some((j) => j !== job && j.size === job.size) || (!this.opts.force && this.writer.hasCompleteOfSize(job.size));
  }

  /** Why this dump must not be indexed, or null. */
  private refusal(path: string, sha256: string | null, size: number | null): string | null {
    if (sha256 === null || size === null) return null;
    if (this.claimed.has(`${sha256}/${size}`)) return `${path}: the same file is being indexed in this run`;
    if (this.opts.force) return null;
    const prior = this.writer.findComplete(sha256, size);
    if (prior.length === 0) return null;
    const p = prior[0]!;
    return `${path}: already indexed as snapshot ${p.id} (${p.label ?? p.source}); use --force to index it again`;
  }
}

/** Indexes the dumps into the inventory at opts.out; one result per dump, in the order given. */
export async function indexDumps(paths: string[], opts: IndexOptions): Promise<IndexResult[]> {
  if (paths.length === 0) throw new UserError('name at least one dump to index');
  checkMemoryModel(opts.memoryModel);
  makePatterns(opts.patterns); // a bad --pattern fails here, once, rather than in every worker
  if (paths.filter((p) => p === '-').length > 1) throw new UserError("stdin ('-') can be indexed only once per run");
  if (opts.live && paths.length !== 1) throw new UserError('a live server is indexed on its own');
  const seen = new Set<string>();
  for (const p of paths) {
    if (p === '-' || opts.live) continue;
    if (!existsSync(p)) throw new UserError(`${p}: no such file`);
    if (statSync(p).isDirectory()) throw new UserError(`${p}: is a directory, expected an RDB dump`);
    const real = realpathSync(p);
    if (seen.has(real)) throw new UserError(`${p}: given twice`);
    seen.add(real);
  }
  // The handlers are in place before the inventory is opened: a Ctrl-C at any moment after the new file appears
  // removes it (a handler runs once the code in progress yields, so the inventory is open by then).
  let target: LoadTarget | null = null;
  let ix: Indexer | null = null;
  let progress: Progress | null = null;
  let lock: InventoryLock | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    progress?.stop();
    ix?.abandon(`interrupted by ${sig}`);
    target?.abandon();
    lock?.release();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    lock = await lockInventory(opts.out, (msg) => process.stderr.write(`rdbscope: ${msg}\n`));
    target = openForLoad(opts.out);
  } catch (err) {
    lock?.release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw err;
  }
  const db = target.db;
  ix = new Indexer(db, opts, paths);
  progress = ix.progress();
  if (!opts.quiet) progress.start();
  let ok = false;
  try {
    const results = await ix.runAll();
    progress.stop();
    if (results.some((r) => r.status === 'complete')) analyzeAfterLoad(db);
    ok = true;
    return results;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    try {
      if (ok || !target.fresh) target.close();
      else target.abandon(); // an unexpected failure: a new inventory is not left half-made
    } finally {
      lock.release();
    }
  }
}
