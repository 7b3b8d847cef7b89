/** The options of the commands that can read a live server instead of a file: --url, --allow-primary, --cacert. */
import { UserError } from '../errors.js';
import { parseFile, type DumpSummary, type ParseOptions, type RdbHandler } from '../decode/index.js';
import { parseLive, parseLiveUrl, type LiveSpec } from '../live/index.js';
import { inputPath } from './options.js';

export const liveInputOptions = {
  url: {
    type: 'string',
    describe: 'Pull the snapshot from a running server instead of a file: redis://[user:password@]host:port or ' +
      'rediss:// (TLS); password also from REDISCLI_AUTH or RDBSCOPE_PASSWORD. Point it at a replica: it asks for a ' +
      'full sync (the server forks to write it), streamed straight into the decoder, nothing written to disk',
  },
  'allow-primary': { type: 'boolean', default: false, describe: 'With --url: pull from a primary too (refused by default: a full sync costs it a fork)' },
  cacert: { type: 'string', describe: 'With a rediss:// URL: the CA certificate file (PEM) to verify the server with' },
} as const;

export interface LiveArgs {
  url?: string;
  'allow-primary': boolean;
  cacert?: string;
}

/** The live spec of --url, or null without it; `given`: a file was named too (then it is an error). */
export function liveSpec(a: LiveArgs, given: boolean, progress: boolean): LiveSpec | null {
  if (a.url === undefined) {
    if (a.cacert !== undefined) throw new UserError('--cacert goes with --url');
    return null;
  }
  if (given) throw new UserError('give a dump file or --url, not both');
  return { target: parseLiveUrl({ url: a.url, cacert: a.cacert }), allowPrimary: a['allow-primary'], progress };
}

/** Decodes the dump file named, or the live server of --url. */
export function decodeInput(a: LiveArgs & { file?: string }, handler: RdbHandler, opts: ParseOptions): DumpSummary {
  const spec = liveSpec(a, a.file !== undefined, true);
  if (spec !== null) return parseLive(spec, handler, opts);
  if (a.file === undefined) throw new UserError("name a dump file ('-' for stdin) or a server with --url");
  return parseFile(inputPath(a.file), handler, opts);
}

/** The input as named in output: the file, or redis://host:port (never a password). */
export function inputName(a: LiveArgs & { file?: string }): string {
  return a.url !== undefined ? parseLiveUrl({ url: a.url }).source : inputPath(a.file);
}
