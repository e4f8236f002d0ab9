// Exclusive locks between processes: a run folder in use, a cache entry being built (e.g. two test runs
// pretraining the same tiny model). A lock is a folder holding its owner's pid, created whole under a temp
// name and renamed into place (atomic, and never seen without its pid); a lock whose owner is gone (a killed
// run) is taken over, so a crash never blocks later runs.
import fs from "node:fs";
import path from "node:path";
import { RftlabError } from "../errors";

/** The pid recorded in the lock folder `lock` (0 when unreadable), or undefined when there is no lock. */
function holderOf(lock: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(lock, "pid"), "utf8"));
    return Number.isInteger(pid) && pid > 0 ? pid : 0;
  } catch {
    return fs.existsSync(lock) ? 0 : undefined;
  }
}

/** Whether process `pid` is running (this process counts: a second open in one process is refused too). */
export function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user
  }
}

/** A held lock: `release()` removes it (idempotent). */
export interface DirLock {
  release(): void;
}

/** Takes the lock folder `lock` when it is free or its owner is dead; otherwise returns the live holder's pid. */
export function tryDirLock(lock: string): DirLock | { holder: number } {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const mine = `${lock}.${process.pid}.tmp`;
  for (;;) {
    fs.rmSync(mine, { recursive: true, force: true });
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, "pid"), String(process.pid));
    try {
      fs.renameSync(mine, lock); // fails while a (non-empty) lock folder is there
      return { release: () => fs.rmSync(lock, { recursive: true, force: true }) };
    } catch (e) {
      fs.rmSync(mine, { recursive: true, force: true });
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw e;
    }
    const holder = holderOf(lock);
    if (holder === undefined) continue; // released meanwhile
    if (processAlive(holder)) return { holder };
    // Stale. Move it aside first: of two processes taking it over, only one moves this folder; if what was
    // moved is already the other's fresh lock, it goes back.
    const aside = `${lock}.${process.pid}.stale`;
    try {
      fs.renameSync(lock, aside);
    } catch {
      continue;
    }
    if (holderOf(aside) === holder) fs.rmSync(aside, { recursive: true, force: true });
    else fs.renameSync(aside, lock);
  }
}

/**
 * Runs `fn` while holding the lock folder `lock` (created next to what it guards), waiting for another
 * live holder to finish first, polling every `pollMs`. Gives up after `timeoutMs` with an error naming the lock.
 */
export async function withDirLock<T>(lock: string, fn: () => Promise<T>, { pollMs = 500, timeoutMs = 3_600_000 } = {}): Promise<T> {
  const start = Date.now();
  for (;;) {
    const got = tryDirLock(lock);
    if ("release" in got) {
      try {
        return await fn();
      } finally {
        got.release();
      }
    }
    if (Date.now() - start > timeoutMs) {
      throw new RftlabError(
        `withDirLock: ${lock} is still held by process ${got.holder} after ${Math.round(timeoutMs / 1000)} s; if no rftlab process is running, delete that folder`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
