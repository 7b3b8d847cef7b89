/** `rdbscope facts`: a server's INFO, MEMORY STATS and CONFIG recorded with a snapshot, or those already recorded. */
import type { Argv, CommandModule } from 'yargs';
import { calibrationLine, fetchFactsCalibrated, saveFacts, serverView, type CalibrationResult, type Fact } from '../facts/index.js';
import { serverLines } from '../facts/text.js';
import { parseLiveUrl } from '../live/index.js';
import { openInventory, resolveSnapshot } from '../rules/snapshot.js';
import { UserError } from '../errors.js';

interface Args {
  url?: string;
  cacert?: string;
  in: string;
  snapshot?: string;
  format: 'text' | 'json';
  calibrate?: number;
}

/** A warning when the snapshot's repl-id (aux) is neither replication id of the server the facts come from. */
function identityWarning(path: string, snapshot: number, source: string, facts: Fact[]): string | null {
  const db = openInventory(path);
  let replId: string | null;
  try {
    replId = (db.prepare('SELECT repl_id FROM snapshots WHERE id = ?').pluck().get(snapshot) as string | null) ?? null;
  } finally {
    db.close();
  }
  const ids = facts.filter((f) => f.name === 'info.replication.master_replid' || f.name === 'info.replication.master_replid2').map((f) => f.value);
  if (replId === null || ids.length === 0 || ids.includes(replId)) return null;
  return `snapshot ${snapshot} was written by a server with repl-id ${replId}, and ${source} has ${ids.join(' / ')}: ` +
    'the facts may describe another server (recorded anyway)';
}

export const factsCommand: CommandModule<object, Args> = {
  command: 'facts',
  describe: "Record a server's own facts (INFO, MEMORY STATS, CONFIG GET of the memory settings) with a snapshot, read-only; or show them",
  builder: (y: Argv): Argv<Args> =>
    y
      .option('url', { type: 'string', describe: 'The server to read: redis://[user:password@]host:port or rediss://; password also from REDISCLI_AUTH or RDBSCOPE_PASSWORD. Without it: show the recorded facts' })
      .option('cacert', { type: 'string', describe: 'With rediss://: the CA certificate file (PEM)' })
      .option('in', { alias: 'i', type: 'string', default: 'rdbscope.sqlite', describe: 'Inventory file' })
      .option('snapshot', { alias: 's', type: 'string', describe: 'Snapshot id or label the facts belong to (default: the newest complete one)' })
      .option('calibrate', { type: 'number', describe: 'With --url: compare the memory model with MEMORY USAGE of this many keys of the snapshot on the server (read-only)' })
      .option('format', { alias: 'f', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format on stdout' })
      .example('$0 facts --url redis://replica-1:6379 --in inv.sqlite --snapshot 3', "record the server's facts with snapshot 3 (a dump of that server indexed earlier)")
      .example('$0 facts --url redis://replica-1:6379 --snapshot 3 --calibrate 300', 'also check the memory model against MEMORY USAGE of 300 keys')
      .example('$0 facts --in inv.sqlite --snapshot 3 --format json', 'the facts recorded with snapshot 3') as unknown as Argv<Args>,
  handler: async (a: Args): Promise<void> => {
    const db0 = openInventory(a.in);
    let snap: ReturnType<typeof resolveSnapshot>;
    try {
      snap = resolveSnapshot(db0, a.in, a.snapshot);
    } finally {
      db0.close();
    }
    let calibration: CalibrationResult | null = null;
    if (a.url !== undefined) {
      if (a.calibrate !== undefined && !(Number.isInteger(a.calibrate) && a.calibrate >= 1 && a.calibrate <= 100_000)) {
        throw new UserError(`--calibrate: expected a number of keys from 1 to 100000, got ${a.calibrate}`);
      }
      const target = parseLiveUrl({ url: a.url, cacert: a.cacert });
      const got = await fetchFactsCalibrated(target, a.in, snap.id, a.calibrate ?? 0);
      calibration = got.calibration;
      const warning = identityWarning(a.in, snap.id, target.source, got.facts);
      if (warning) process.stderr.write(`rdbscope: ${warning}\n`);
      await saveFacts(a.in, snap.id, target.source, got.facts);
    } else if (a.cacert !== undefined || a.calibrate !== undefined) {
      throw new UserError(`--${a.cacert !== undefined ? 'cacert' : 'calibrate'} goes with --url`);
    }
    const db = openInventory(a.in);
    try {
      const view = serverView(db, snap.id);
      if (a.format === 'json') {
        const rows = view === null ? [] : db.prepare('SELECT source, name, value, read_at, refused FROM server_facts WHERE snapshot_id = ? ORDER BY rowid').all(snap.id);
        process.stdout.write(`${JSON.stringify({ snapshot: snap.id, server: view, calibration, facts: rows }, null, 2)}\n`);
      } else if (view === null) {
        process.stdout.write(`snapshot ${snap.id}: no server facts recorded (record them with --url)\n`);
      } else {
        const n = db.prepare('SELECT count(*) FROM server_facts WHERE snapshot_id = ? AND value IS NOT NULL').pluck().get(snap.id) as number;
        process.stdout.write(`snapshot ${snap.id}: ${n} facts\n${serverLines(view).join('\n')}\n`);
        if (calibration) process.stdout.write(`${calibrationLine(calibration)}\n`);
      }
    } finally {
      db.close();
    }
  },
};
