#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { UserError } from './errors.js';

/** Prints an error as one line and returns the exit code; a stack trace only with RDBSCOPE_DEBUG=1. */
function report(err: unknown): number {
  if (process.env.RDBSCOPE_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  if (err instanceof UserError) {
    process.stderr.write(`rdbscope: ${err.message}\n`);
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && e.code === 'EPIPE') return 0;
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`rdbscope: ${msg.split('\n')[0]}\n`);
  return 1;
}

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

async function main(): Promise<void> {
  let cli = yargs(hideBin(process.argv))
    .scriptName('rdbscope')
    .usage('$0 <command> [options]\n\nOffline analyzer for Redis and Valkey RDB snapshots.')
    .epilogue('Run `rdbscope <command> --help` for a command\'s options and an example.')
    .wrap(Math.min(110, process.stdout.columns || 100));
  for (const c of commands) cli = cli.command(c);
  await cli
    .demandCommand(1, 'Name a command.')
    .recommendCommands()
    .strict()
    .help('help')
    .alias('h', 'help')
    .version()
    .fail((msg, err) => {
      if (err) throw err;
      throw new UserError(`${msg} (see rdbscope --help)`);
    })
    .parseAsync();
}

main().catch((err: unknown) => {
  process.exitCode = report(err);
});
