import type { RdbHandler } from './model.js';

const METHODS = [
  'header', 'aux', 'selectDb', 'resizeDb', 'functionLibrary', 'moduleAux', 'slotInfo', 'slotImport', 'beginKey',
  'stringValue', 'stringChunk', 'stringSample', 'valueSampleBytes', 'elementSample', 'listItem', 'setMember', 'zsetMember', 'hashField', 'hashFieldName', 'blob', 'quicklistNode',
  'streamNode', 'streamEntry', 'streamMeta', 'streamGroup', 'streamConsumer', 'streamPending', 'moduleValue',
  'endKey', 'end',
] as const satisfies ReadonlyArray<keyof RdbHandler>;

// Every RdbHandler method must be listed above: this fails to compile when one is missing.
type Missing = Exclude<keyof RdbHandler, (typeof METHODS)[number]>;
const complete: Missing extends never ? true : Missing = true;
void complete;

/**
 * One handler that calls each of `handlers` in order for every callback. Put producers first: a handler that
 * reads another's result in `endKey` (say, the memory estimate) must come after it.
 */
export function tee(...handlers: RdbHandler[]): RdbHandler {
  type Fn = (a?: unknown, b?: unknown, c?: unknown, d?: unknown) => void;
  const out: Record<string, Fn> = {};
  for (const m of METHODS) {
    const fns = handlers.map((h) => h[m]?.bind(h) as Fn | undefined).filter((f): f is Fn => f !== undefined);
    // Fixed arity (no callback takes more than four arguments): no rest-array allocation per element.
    if (m === 'valueSampleBytes') {
      // The one callback with an answer: the most any handler wants.
      const asks = fns as unknown as Array<() => number>;
      if (asks.length > 0) out[m] = (() => asks.reduce((n, f) => Math.max(n, f()), 0)) as unknown as Fn;
      continue;
    }
    if (fns.length === 1) out[m] = fns[0]!;
    else if (fns.length === 2) {
      const [f, g] = fns as [Fn, Fn];
      out[m] = (a, b, c, d) => {
        f(a, b, c, d);
        g(a, b, c, d);
      };
    } else if (fns.length > 2) {
      out[m] = (a, b, c, d) => {
        for (const f of fns) f(a, b, c, d);
      };
    }
  }
  return out as RdbHandler;
}
