/**
 * Unification of numeric placeholders that split one family in two by chance:
 *  - {int} and {hex}: a hex id made only of digits (`665430517591`: about 0.4% of random 12-digit hex ids, 2%
 *    of 8-digit ones) is classified {int}. Where families differ only by {int} against {hex}, the place becomes
 *    {hex}.
 *  - {int} and {ts}: an id that happens to fall in the epoch window (`otp:2125551234`, a phone number) is
 *    classified {ts}, and a timestamp of a test fixture may be a small {int}. Where families differ only by
 *    {int} against {ts}, the place takes the kind that has more keys.
 * ({date} is not unified: `stats:{date}` and `stats:{int}` are usually different things.)
 */
const SLOT = /\{int\}|\{hex\}|\{ts\}/g;

/** Renames (family -> unified family) for the families that need one; `families` maps a family to its keys. */
export function unifyNumbers(families: ReadonlyMap<string, number>): Map<string, string> {
  const groups = new Map<string, string[]>();
  for (const name of families.keys()) {
    if (!name.includes('{int}')) continue; // {hex} or {ts} alone: nothing to unify with
    const key = name.replace(SLOT, '{int}');
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [name]);
    else g.push(name);
  }
  for (const name of families.keys()) {
    if (name.includes('{int}') || !(name.includes('{hex}') || name.includes('{ts}'))) continue;
    groups.get(name.replace(SLOT, '{int}'))?.push(name);
  }
  const out = new Map<string, string>();
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    // per slot: {hex} if any member has it there, else the kind ({ts} or {int}) with more keys there
    const hex: boolean[] = [];
    const tsKeys: number[] = [];
    const intKeys: number[] = [];
    for (const m of members) {
      const keys = families.get(m) ?? 0;
      let k = 0;
      for (const match of m.matchAll(SLOT)) {
        if (match[0] === '{hex}') hex[k] = true;
        else if (match[0] === '{ts}') tsKeys[k] = (tsKeys[k] ?? 0) + keys;
        else intKeys[k] = (intKeys[k] ?? 0) + keys;
        k++;
      }
    }
    let k = 0;
    const target = members[0].replace(SLOT, () => {
      const i = k++;
      if (hex[i]) return '{hex}';
      return (tsKeys[i] ?? 0) > (intKeys[i] ?? 0) ? '{ts}' : '{int}';
    });
    for (const m of members) if (m !== target) out.set(m, target);
  }
  return out;
}
