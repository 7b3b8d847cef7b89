/**
 * One writer at a time per inventory: `index` holds OUT.lock (created exclusively, holding its pid) for the whole
 * run. A second run waits for it, saying so once; a lock left by a process that no longer exists is taken over.
 */
import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.js';
import { processAlive } from './db.js';


export interface InventoryLock {
  release(): void;
}

/** Takes the lock of the inventory at `out`, waiting while another live process holds it. */
export async function lockInventory(out: string, onWait: (msg: string) => void): Promise<InventoryLock> {
  const path = `${out}.lock`;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let held = true;
      return { release(): void { if (held) { held = false; rmSync(path, { force: true }); } } };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new UserError(`${out}: cannot create the inventory (${(e as Error).message})`);
    }
    let pid = NaN;
    try { pid = Number(readFileSync(path, 'utf8').trim()); } catch { continue; } // released meanwhile
    if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) {
      rmSync(path, { force: true }); // left by a process that is gone
      continue;
    }
    if (!told) {
      told = true;
      onWait(`${out}: another rdbscope index (pid ${pid}) is writing to this inventory; waiting for it to finish`);
    }
    await sleep(200);
  }
}
