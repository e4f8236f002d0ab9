import fs from "node:fs";
import path from "node:path";
import { RftlabError } from "../errors";
import { writeFileAtomic } from "./atomic";
import { processAlive, tryDirLock, type DirLock } from "./dir-lock";
import { configDifferences } from "./config-diff";

/** The logs a run appends to once per step. */
const LOGS = ["metrics", "completions"] as const;
export type RunLog = (typeof LOGS)[number];

/** Temp files and folders (`x.PID.tmp`, `x.PID.abc.tmp`, `.step-N.PID.tmp`, `.lock.PID.stale`) and the pid that wrote them. */
const TEMP = /\.(\d+)(\.[0-9a-z]+)?\.(tmp|stale)$/;

/** Removes the temp files and folders in `dir` that were left by processes no longer running (kills, full disks). */
export function removeStaleTemps(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    const pid = Number(TEMP.exec(name)?.[1]);
    if (pid && (pid === process.pid || !processAlive(pid))) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * The JSON rows of a .jsonl log. A torn last line (the process was killed or the disk filled mid-write) is
 * dropped; a damaged line before the end is an error naming the file and line.
 */
function parseLog(file: string): { line: string; row: Record<string, unknown> }[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const rows: { line: string; row: Record<string, unknown> }[] = [];
  lines.forEach((line, i) => {
    if (line === "") return;
    try {
      rows.push({ line, row: JSON.parse(line) });
    } catch {
      if (i < lines.length - 1 && lines.slice(i + 1).some(Boolean)) {
        throw new RftlabError(
          `${file} line ${i + 1} is not JSON (${JSON.stringify(line.slice(0, 40))}); the log was damaged mid-file: delete that line or start a new run`,
        );
      }
    }
  });
  return rows;
}

/** A file-system error as a one-line RftlabError naming the path and the fix, or `e` itself when it is not one. */
export function runWriteError(e: unknown, runDir: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err?.code !== "ENOSPC" && err?.code !== "EDQUOT") return e;
  const latest = RunDir.newestCheckpoint(runDir);
  return new RftlabError(
    `no space left on the device writing ${err.path ?? runDir} (${err.code}); free some space, then resume the run ` +
      `(--resume / resume: true): it continues exactly from ${latest ? `its checkpoint at step ${latest.step}` : "the start"}`,
  );
}

/**
 * A training run's folder:
 *   config.json          the whole run config (checked on resume)
 *   metrics.jsonl        one JSON object per step, spec metric names
 *   completions.jsonl    sampled completions with rewards and advantages
 *   checkpoints/step-N/  written whole into a temp folder, then renamed
 *   latest               name of the newest complete checkpoint folder
 *   .lock/               held while a process runs in the folder (its pid inside)
 * Opening locks the folder, removes temp files of dead processes and cuts the logs back to the checkpoint
 * the run continues from (none: empty), so a killed run replays exactly. `close()` releases the lock.
 */
export class RunDir {
  private constructor(
    readonly dir: string,
    private readonly lock: DirLock,
  ) {}

  /** Creates and locks `dir` (refusing to overwrite another run unless resuming) and writes config.json. */
  static async open(dir: string, config: unknown, { resume = false } = {}): Promise<RunDir> {
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EEXIST" && code !== "ENOTDIR") throw e;
      throw new RftlabError(
        `run folder ${dir}: ${(e as NodeJS.ErrnoException).path} is a file, not a folder; choose another output folder (--out)`,
      );
    }
    const lockDir = path.join(dir, ".lock");
    const lock = tryDirLock(lockDir);
    if ("holder" in lock) {
      throw new RftlabError(
        `run folder ${dir} is in use by process ${lock.holder} (lock ${lockDir}); wait for that run to end or stop it, ` +
          `or choose another --out (if process ${lock.holder} is no rftlab run, delete ${lockDir})`,
      );
    }
    const run = new RunDir(dir, lock);
    try {
      removeStaleTemps(dir);
      removeStaleTemps(path.join(dir, "checkpoints"));
      await run.checkConfig(config, resume);
      await run.truncateLogs(run.latest()?.step ?? 0);
      return run;
    } catch (e) {
      run.close();
      throw runWriteError(e, dir);
    }
  }

  /** Releases the folder's lock (idempotent). */
  close(): void {
    this.lock.release();
  }

  private async checkConfig(config: unknown, resume: boolean): Promise<void> {
    const cfgFile = path.join(this.dir, "config.json");
    const json = JSON.stringify(config, null, 2) + "\n";
    if (!fs.existsSync(cfgFile)) return writeFileAtomic(cfgFile, json);
    if (!resume) {
      throw new RftlabError(
        `run folder ${this.dir} already holds a run (config.json); pass resume: true (CLI --resume) or choose a new --out`,
      );
    }
    const diff = configDifferences(JSON.parse(fs.readFileSync(cfgFile, "utf8")), JSON.parse(json));
    if (diff.length > 0) {
      throw new RftlabError(
        `cannot resume ${this.dir}: the run config differs from the saved one in ${diff.join("; ")}; ` +
          `resume with the config saved in ${cfgFile}, or start fresh with a new --out (or delete ${this.dir})`,
      );
    }
  }

  /** Name and step of the newest complete checkpoint, if any. */
  latest(): { step: number; dir: string } | undefined {
    return RunDir.newestCheckpoint(this.dir);
  }

  /** The newest complete checkpoint of the run folder `dir` (read-only: for evaluating a run), if any. */
  static newestCheckpoint(dir: string): { step: number; dir: string } | undefined {
    const p = path.join(dir, "latest");
    if (!fs.existsSync(p)) return undefined;
    const name = fs.readFileSync(p, "utf8").trim();
    const step = Number(/^step-(\d+)$/.exec(name)?.[1]);
    if (!Number.isInteger(step)) throw new RftlabError(`${p}: expected "step-N", got "${name}"; delete it to restart from scratch`);
    return { step, dir: path.join(dir, "checkpoints", name) };
  }

  /** Writes a checkpoint folder atomically (temp folder + rename), then points `latest` at it; keeps the newest `keep`. */
  async saveCheckpoint(step: number, write: (dir: string) => Promise<void>, keep = 2): Promise<string> {
    const root = path.join(this.dir, "checkpoints");
    const name = `step-${String(step).padStart(6, "0")}`;
    const final = path.join(root, name);
    const tmp = path.join(root, `.${name}.${process.pid}.tmp`);
    await fs.promises.rm(tmp, { recursive: true, force: true });
    await fs.promises.mkdir(tmp, { recursive: true });
    await write(tmp);
    await fs.promises.rm(final, { recursive: true, force: true });
    await fs.promises.rename(tmp, final);
    await writeFileAtomic(path.join(this.dir, "latest"), name + "\n");
    const old = fs
      .readdirSync(root)
      .filter((n) => /^step-\d+$/.test(n))
      .sort()
      .slice(0, -keep);
    for (const n of old) await fs.promises.rm(path.join(root, n), { recursive: true, force: true });
    return final;
  }

  /** Appends JSON rows to a .jsonl log. */
  async append(log: RunLog, rows: object[]): Promise<void> {
    if (rows.length === 0) return;
    await fs.promises.appendFile(path.join(this.dir, `${log}.jsonl`), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  }

  /** Drops rows logged after `step` (they are replayed after a resume) and a torn last line. */
  private async truncateLogs(step: number): Promise<void> {
    for (const log of LOGS) {
      const p = path.join(this.dir, `${log}.jsonl`);
      if (!fs.existsSync(p)) continue;
      const text = parseLog(p)
        .filter((r) => Number(r.row.step ?? 0) <= step)
        .map((r) => r.line + "\n")
        .join("");
      if (text !== fs.readFileSync(p, "utf8")) await writeFileAtomic(p, text);
    }
  }

  /** Every row of a .jsonl log (a torn last line, from a run killed mid-write, is left out). */
  read(log: RunLog): Record<string, unknown>[] {
    return parseLog(path.join(this.dir, `${log}.jsonl`)).map((r) => r.row);
  }
}
