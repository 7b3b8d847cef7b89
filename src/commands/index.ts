import type { CommandModule } from 'yargs';
import { dumpCommand } from './dump.js';
import { infoCommand } from './info.js';
import { indexCommand } from './index-dumps.js';
import { applyCommand } from './apply.js';
import { planCommand } from './plan.js';
import { restoreCommand } from './restore.js';
import { queryCommand } from './query.js';
import { recommendCommand } from './recommend.js';
import { reportCommand } from './report.js';
import { schemaCommand } from './schema.js';
import { diffCommand } from './diff.js';
import { trendCommand } from './trend.js';
import { metricsCommand } from './metrics.js';
import { factsCommand } from './facts.js';
import { shapeCommand } from './shape.js';
import { exportCommand } from './export.js';
import { rulesCommand } from './rules.js';

/**
 * Every rdbscope command, in the order `--help` lists them. Each command lives in its own file and holds the
 * argument parsing and output only; the work is done by the stage it calls.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: Array<CommandModule<any, any>> = [dumpCommand, infoCommand, indexCommand, factsCommand, queryCommand, schemaCommand, planCommand, applyCommand, restoreCommand, recommendCommand, reportCommand, shapeCommand, diffCommand, trendCommand, metricsCommand, exportCommand, rulesCommand];
