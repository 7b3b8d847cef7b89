/**
 * Prints the memory model's accuracy on every server fixture (fixtures/servers/), as the README's table:
 * per-key error median and p90, total, and the worst encodings; `--worst` also lists the worst keys.
 *
 *   node --import tsx scripts/bench/server-accuracy.ts [NAME...] [--worst] [--allocator bundled|system] [--model M]
 */
import { serverFixtures, measure, pct } from '../../test/helpers/accuracy.js';
import type { AllocatorName, MemoryModelName } from '../../src/memory/index.js';

const argv = process.argv.slice(2);
const flag = (n: string): string | undefined => { const i = argv.indexOf(`--${n}`); return i >= 0 ? argv[i + 1] : undefined; };
const names = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--al') && !argv[i - 1]?.startsWith('--mo'));
const worst = argv.includes('--worst');
console.log('| writer | allocator | model | keys | median | p90 | total | worst encodings (signed total error) |');
console.log('|---|---|---|---:|---:|---:|---:|---|');
for (const fx of serverFixtures()) {
  if (names.length && !names.includes(fx.name)) continue;
  const a = measure(fx, { allocator: flag('allocator') as AllocatorName | undefined, model: flag('model') as MemoryModelName | undefined });
  const encs = [...a.encodings].sort((x, y) => Math.abs(y.err) - Math.abs(x.err)).filter((e) => Math.abs(e.err) >= 0.0005).slice(0, 3);
  console.log(`| ${fx.name} | ${a.allocator} | ${a.model} | ${a.keys} | ${pct(a.median)} | ${pct(a.p90)} | ${pct(a.total)} | ` +
    `${encs.map((e) => `${e.enc} ${e.err > 0 ? '+' : ''}${pct(e.err)}`).join(', ') || 'none over 0.05 %'} |`);
  if (a.unmatched || a.mismatched.length) console.log(`  unmatched ${a.unmatched}; mismatched: ${a.mismatched.slice(0, 5).join('; ')}`);
  if (worst) {
    for (const e of a.encodings) console.log(`  ${e.enc}: ${e.keys} keys, server ${e.truth}, estimate ${e.est}, ${pct(e.err)}`);
    for (const w of a.worst) console.log(`  ${w.key.replace('\t', ' ')} ${w.enc} server=${w.truth} est=${w.est} ${pct(w.err)}`);
  }
}
