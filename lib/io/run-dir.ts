import fs from "node:fs";
import path from "node:path";
import { RftlabError } from "../errors";
import { writeFileAtomic } from "./atomic";

/**
 * A training run's folder:
 *   config.json          resolved config (checked on resume)
 *   metrics.jsonl        one JSON object per step, spec metric names
 *   completions.jsonl    sampled completions with rewards and advantages
 *   checkpoints/step-N/  written whole into a temp folder, then renamed
 *   latest               name of the newest complete checkpoint folder
 * Logs are cut back to the checkpoint's step on resume so a killed run replays exactly.
 */
export class RunDir {
  private constructor(readonly dir: string) {}

  /** Creates `dir` (refusing to overwrite another run unless resuming) and writes config.json. */
  static async open(dir: string, config: unknown, { resume = false } = {}): Promise<RunDir> {
    const cfgFile = path.join(dir, "config.json");
    const json = JSON.stringify(config, null, 2) + "\n";
    if (fs.existsSync(cfgFile)) {
      if (!resume) {
        throw new RftlabError(
          `run folder ${dir} already holds a run (config.json); pass resume: true (CLI --resume) or choose a new --out`,
        );
      }
      const old = fs.readFileSync(cfgFile, "utf8");
      if (old !== json) {
        const a = JSON.parse(old);
        const b = JSON.parse(json);
        const diff = Object.keys({ ...a, ...b }).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
        throw new RftlabError(
          `cannot resume ${dir}: config differs in ${diff.join(", ")}; resume with the saved config.json or start a new run`,
        );
      }
    } else {
      await writeFileAtomic(cfgFile, json);
    }
    return new RunDir(dir);
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
  async append(log: "metrics" | "completions", rows: object[]): Promise<void> {
    if (rows.length === 0) return;
    await fs.promises.appendFile(path.join(this.dir, `${log}.jsonl`), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  }

  /** Drops rows logged after `step` (replayed after a resume). */
  async truncateLogs(step: number): Promise<void> {
    for (const log of ["metrics", "completions"]) {
      const p = path.join(this.dir, `${log}.jsonl`);
      if (!fs.existsSync(p)) continue;
      const keep = fs
        .readFileSync(p, "utf8")
        .split("\n")
        .filter((l) => l && (JSON.parse(l).step ?? 0) <= step);
      await writeFileAtomic(p, keep.map((l) => l + "\n").join(""));
    }
  }

  /** Every row of a .jsonl log. */
  read(log: "metrics" | "completions"): Record<string, unknown>[] {
    const p = path.join(this.dir, `${log}.jsonl`);
    if (!fs.existsSync(p)) return [];
    return fs
      .readFileSync(p, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  }
}
