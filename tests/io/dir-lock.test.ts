import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { tryDirLock, withDirLock } from "../../lib/io/dir-lock";
import { tmpDir } from "../helpers/tmp";

test("withDirLock: concurrent holders run one after the other and the lock is removed", async () => {
  const lock = path.join(tmpDir(), "entry.lock");
  const events: string[] = [];
  const job = (name: string) =>
    withDirLock(
      lock,
      async () => {
        events.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 30));
        events.push(`${name} out`);
        return name;
      },
      { pollMs: 5 },
    );
  assert.deepEqual(await Promise.all([job("a"), job("b")]), ["a", "b"]);
  assert.deepEqual(events, ["a in", "a out", "b in", "b out"]);
  assert.equal(fs.existsSync(lock), false);
});

test("withDirLock: a lock left by a dead process is taken over; a throwing holder releases it", async () => {
  const lock = path.join(tmpDir(), "entry.lock");
  fs.mkdirSync(lock);
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
  fs.writeFileSync(path.join(lock, "pid"), dead);
  assert.equal(await withDirLock(lock, async () => 42, { pollMs: 5, timeoutMs: 2000 }), 42);
  await assert.rejects(
    withDirLock(lock, async () => {
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.equal(fs.existsSync(lock), false);
});

test("withDirLock: a live holder that never finishes gives a timeout error naming the lock and the fix", async () => {
  const lock = path.join(tmpDir(), "entry.lock");
  fs.mkdirSync(lock);
  fs.writeFileSync(path.join(lock, "pid"), String(process.pid)); // this very process: alive
  await assert.rejects(
    withDirLock(lock, async () => 1, { pollMs: 5, timeoutMs: 50 }),
    (e: Error) => e.message.includes(lock) && /delete that folder/.test(e.message),
  );
  fs.rmSync(lock, { recursive: true });
});

test("tryDirLock: a live holder is returned, not waited for; a lock folder without a pid (damaged) is taken over", () => {
  const lock = path.join(tmpDir(), "run", ".lock");
  const held = tryDirLock(lock);
  assert.ok("release" in held);
  assert.deepEqual(tryDirLock(lock), { holder: process.pid });
  held.release();
  fs.mkdirSync(lock);
  fs.writeFileSync(path.join(lock, "junk"), "");
  const taken = tryDirLock(lock);
  assert.ok("release" in taken);
  assert.equal(fs.readFileSync(path.join(lock, "pid"), "utf8"), String(process.pid));
  taken.release();
  assert.deepEqual(fs.readdirSync(path.dirname(lock)), [], "no temp folders left");
});
