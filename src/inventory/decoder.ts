/** The decoder entry point the worker uses (kept apart so that the worker reads as the load loop only). */
import { parseFile } from '../decode/index.js';

export type ParseFile = typeof parseFile;

export function loadParseFile(): ParseFile {
  return parseFile;
}
