// An exclusive lock between processes building the same cache entry (e.g. two test runs pretraining the
// same tiny model): `mkdir` is atomic, the lock folder records its owner's pid, and a lock whose owner is
// gone (killed run) is taken over, so a crash never blocks later runs.
import fs from "node:fs";
import path from "node:path";
import { RftlabError } from "../errors";

function ownerAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(lock, "pid"), "utf8"));
  } catch {
    return true; // being created right now: its owner has not written the pid yet
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user
  }
}

/**
 * Runs `fn` while holding the lock folder `lock` (created next to what it guards), waiting for another
 * live holder to finish first, polling every `pollMs`. Gives up after `timeoutMs` with an error naming the lock.
 */
export async function withDirLock<T>(lock: string, fn: () => Promise<T>, { pollMs = 500, timeoutMs = 3_600_000 } = {}): Promise<T> {
  const start = Date.now();
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    if (!ownerAlive(lock)) {
      fs.rmSync(lock, { recursive: true, force: true }); // stale: its owner died
      continue;
    }
    if (Date.now() - start > timeoutMs) {
      throw new RftlabError(
        `withDirLock: ${lock} is still held by another process after ${Math.round(timeoutMs / 1000)} s; if no rftlab process is running, delete that folder`,
      );
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  try {
    fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
