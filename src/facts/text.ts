/** The server facts as lines of text (info, report, facts). */
import { humanBytes } from '../inventory/progress.js';
import type { ServerView } from './view.js';

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

export function serverLines(v: ServerView): string[] {
  const lines: string[] = [];
  const head = [v.version ? `${v.version}` : null, v.allocator ? `allocator ${v.allocator}` : null].filter(Boolean).join(', ');
  lines.push(`server      ${v.source ?? '?'}${head ? ` (${head})` : ''}, read ${v.readAt ?? '?'}`);
  if (v.usedMemory !== null) {
    lines.push(`  used_memory ${humanBytes(v.usedMemory)}${v.rss !== null ? `, RSS ${humanBytes(v.rss)}` : ''}` +
      (v.fragmentation !== null ? `, fragmentation ${v.fragmentation.toFixed(2)}${v.fragmentation > 1.5 ? ' (over 1.5)' : ''}` : ''));
  }
  if (v.maxmemory !== null) {
    lines.push(v.maxmemory === 0
      ? `  maxmemory   none (no limit), policy ${v.policy ?? '?'}`
      : `  maxmemory   ${humanBytes(v.maxmemory)}, ${v.maxmemoryShare !== null ? `${pct(v.maxmemoryShare)} used, ` : ''}` +
        `${v.headroom !== null ? `headroom ${v.headroom < 0 ? '-' : ''}${humanBytes(Math.abs(v.headroom))}, ` : ''}policy ${v.policy ?? '?'}`);
  } else if (v.policy !== null) {
    lines.push(`  policy      ${v.policy}`);
  }
  if (v.backlog !== null || v.clientBuffers !== null) {
    lines.push(`  buffers     replication backlog ${humanBytes(v.backlog ?? 0)}, clients ${humanBytes(v.clientBuffers ?? 0)}`);
  }
  for (const r of v.refused.filter((x, i, all) => !x.name.startsWith('CONFIG GET ') || all.findIndex((y) => y.name.startsWith('CONFIG GET ')) === i)) {
    lines.push(`  refused     ${r.name.startsWith('CONFIG GET ') ? 'CONFIG GET' : r.name}: ${r.error}`);
  }
  return lines;
}
