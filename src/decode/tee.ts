import type { RdbHandler } from './model.js';

const METHODS = [
  'header', 'aux', 'selectDb', 'resizeDb', 'functionLibrary', 'moduleAux', 'slotInfo', 'slotImport', 'beginKey',
  'stringValue', 'stringSample', 'listItem', 'setMember', 'zsetMember', 'hashField', 'blob', 'quicklistNode',
  'streamNode', 'streamEntry', 'streamMeta', 'streamGroup', 'streamConsumer', 'streamPending', 'moduleValue',
  'endKey', 'end',
] as const satisfies ReadonlyArray<keyof RdbHandler>;

/**
 * One handler that calls each of `handlers` in order for every callback. Put producers first: a handler that
 * reads another's result in `endKey` (say, the memory estimate) must come after it.
 */
export function tee(...handlers: RdbHandler[]): RdbHandler {
  const out: Record<string, (...args: unknown[]) => void> = {};
  for (const m of METHODS) {
    const fns = handlers.map((h) => h[m]?.bind(h) as ((...args: unknown[]) => void) | undefined).filter((f) => f !== undefined);
    if (fns.length === 1) out[m] = fns[0]!;
    else if (fns.length > 1) out[m] = (...args: unknown[]) => { for (const f of fns) f(...args); };
  }
  return out as RdbHandler;
}
