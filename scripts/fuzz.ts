/**
 * Fuzzing before a release: seeded in-process mutations of small corpus dumps (bit flips, inserted, deleted and
 * overwritten bytes, lying huge lengths, splices from other dumps; test/helpers/fuzz.ts), on one worker thread
 * per core, each case bounded in time (2 s, a hang stops the run after 5 s) and memory (a 512 MB heap per
 * worker, 1.5 GB resident for the process). Every case must end in a clean one-line RdbError or a valid decode.
 *
 *   node --import tsx scripts/fuzz.ts [--mutations 1000000] [--seed N] [--workers CORES]
 *
 * Needs the corpus (../shared/corpus). Prints the figures (the README quotes them); exits 1 on any failure.
 */
import { availableParallelism } from 'node:os';
import { corpusPresent } from '../test/helpers/corpus.js';
import { runFuzz, type FuzzOutcome } from '../test/helpers/fuzz.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name}: expected a positive whole number`);
  return v;
}

if (!corpusPresent()) {
  process.stderr.write('fuzz: the corpus (../shared/corpus) is absent\n');
  process.exit(2);
}
const total = arg('mutations', 1_000_000);
const seed = arg('seed', 0x5eed);
const workers = Math.min(arg('workers', availableParallelism()), total);
const bounds = { caseLimitMs: 2000, hangMs: 5000, heapMb: 512, rssMb: 1500 };
const started = Date.now();
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
process.stderr.write(`fuzz: ${total.toLocaleString('en-US')} mutations on ${workers} threads, seeds ${seed}..${seed + workers - 1}\n`);
const shares = Array.from({ length: workers }, (_, w) => Math.floor(total / workers) + (w < total % workers ? 1 : 0));
const outcomes: FuzzOutcome[] = await Promise.all(shares.map((count, w) => runFuzz({ mode: 'mutate', seed: seed + w, count, ...bounds })));
clearInterval(rssTimer);
const sum = (f: (o: FuzzOutcome) => number): number => outcomes.reduce((s, o) => s + f(o), 0);
const done = sum((o) => o.done);
const failures = sum((o) => o.failureCount);
const slowest = outcomes.reduce((a, b) => (b.slowestMs > a.slowestMs ? b : a));
const seconds = (Date.now() - started) / 1000;
const lines = [
  `| mutations | decoded whole | refused with a clean error | failures | slowest case | peak worker heap | peak RSS | wall |`,
  `| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
  `| ${done.toLocaleString('en-US')} | ${sum((o) => o.decoded).toLocaleString('en-US')} | ${sum((o) => o.refused).toLocaleString('en-US')} | ` +
    `${failures} | ${slowest.slowestMs.toFixed(0)} ms | ${Math.max(...outcomes.map((o) => o.peakHeapMb)).toFixed(0)} MB | ` +
    `${(peakRss / 2 ** 20).toFixed(0)} MB | ${seconds.toFixed(0)} s |`,
  '',
  `slowest: ${slowest.slowest}`,
];
for (const o of outcomes) for (const f of o.failures.slice(0, 10)) lines.push(`FAILED ${f.what}: ${f.problem}`);
process.stdout.write(lines.join('\n') + '\n');
process.exit(failures > 0 ? 1 : 0);
