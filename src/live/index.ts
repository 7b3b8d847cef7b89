/** Live pull: a snapshot read from a running server over the replication protocol, straight into the decoder. */
import { parseOpened, type DumpSummary, type ParseOptions, type RdbHandler } from '../decode/index.js';
import { openLive, type LiveSpec } from './source.js';

export { openLive, LiveSource, type LiveSpec } from './source.js';
export { parseLiveUrl, type LiveTarget } from './url.js';

/** Pulls and decodes a snapshot of the server in `spec` (synchronous, like parseFile). */
export function parseLive(spec: LiveSpec, handler: RdbHandler, opts: ParseOptions = {}): DumpSummary {
  return parseOpened(openLive(spec), handler, opts);
}
