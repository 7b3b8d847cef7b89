/** Which plan action a built-in rule's fix implies. */
import type { Action } from './model.js';

/** The action a rule's fix implies, when it implies one (otherwise --action must say). */
export function impliedAction(ruleId: string): Action | null {
  const map: Record<string, Action> = {
    'expired-keys': 'unlink',
    'blocking-delete': 'unlink',
    'ttl-session': 'expire',
    'ttl-partial': 'expire',
    'ttl-long-temporary': 'cap-ttl',
    'large-list': 'trim',
    'duplicate-families': 'unlink',
  };
  return map[ruleId] ?? null;
}
