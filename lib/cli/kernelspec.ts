// Installs the "rftlab" kernelspec where Jupyter looks for kernels: the user data dir, a prefix, or
// Python's sys.prefix. The spec starts node directly on the launcher so SIGINT (interrupts) reaches it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { writeFileAtomic } from "../io";
import { RftlabError } from "../errors";

export const KERNEL_NAME = "rftlab";

/**
 * Lets the kernel's watchdog terminate a cell's blocked synchronous code (kernel/watchdog.ts): termination
 * unwinds async-hook scopes mid-callback, which Node treats as fatal without this flag.
 */
export const TERMINATE_FLAG = "--no-force-async-hooks-checks";

export type KernelspecTarget = { kind: "user" } | { kind: "sys-prefix"; python?: string } | { kind: "prefix"; dir: string };

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "signal";
  metadata: Record<string, unknown>;
}

/** The kernel launcher of this build (dist/kernel/launcher.js). */
export function defaultLauncher(): string {
  return path.join(__dirname, "..", "..", "kernel", "launcher.js");
}

export function kernelSpec(launcher = defaultLauncher(), node = process.execPath): KernelSpec {
  return {
    argv: [node, TERMINATE_FLAG, path.resolve(launcher), "{connection_file}"],
    display_name: "rftlab (TypeScript)",
    language: "typescript",
    interrupt_mode: "signal",
    metadata: { debugger: false },
  };
}

/** The `kernels/` folder for a target, following jupyter_core's data-dir rules. */
export function kernelsDir(target: KernelspecTarget): string {
  switch (target.kind) {
    case "prefix":
      return path.join(path.resolve(target.dir), "share", "jupyter", "kernels");
    case "sys-prefix":
      return path.join(pythonSysPrefix(target.python ?? "/usr/bin/python3"), "share", "jupyter", "kernels");
    case "user":
      return path.join(userDataDir(), "kernels");
  }
}

/** Writes `<kernels>/rftlab/kernel.json`; returns the kernelspec folder. */
export async function installKernelspec(target: KernelspecTarget, launcher = defaultLauncher()): Promise<string> {
  if (!fs.existsSync(launcher)) {
    throw new RftlabError(`kernel install: the launcher ${launcher} does not exist; build rftlab first (npm run build)`);
  }
  const dir = path.join(kernelsDir(target), KERNEL_NAME);
  await writeFileAtomic(path.join(dir, "kernel.json"), JSON.stringify(kernelSpec(launcher), null, 2) + "\n");
  return dir;
}

/** Removes the kernelspec folder; returns it, or undefined when nothing was installed there. */
export function uninstallKernelspec(target: KernelspecTarget): string | undefined {
  const dir = path.join(kernelsDir(target), KERNEL_NAME);
  if (!fs.existsSync(dir)) return undefined;
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return path.resolve(process.env.JUPYTER_DATA_DIR);
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return path.join(process.env.APPDATA ?? os.homedir(), "jupyter");
  return path.join(process.env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share"), "jupyter");
}

function pythonSysPrefix(python: string): string {
  const r = spawnSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" });
  if (r.status !== 0 || !r.stdout.trim()) {
    throw new RftlabError(
      `kernel install --sys-prefix: could not ask ${python} for sys.prefix (${r.error?.message ?? r.stderr.trim()}); use --prefix <dir> or --user`,
    );
  }
  return r.stdout.trim();
}
