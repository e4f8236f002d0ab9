import { tf } from "./tf";
import { RftlabError, warnOnce } from "../errors";
import { installMatMulGradient } from "./matmul-grad";

export type BackendChoice = "auto" | "tensorflow" | "wasm" | "cpu";
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "tensorflow", "wasm", "cpu"];

export interface BackendInfo {
  /** The active tfjs backend name ("tensorflow", "wasm" or "cpu"). */
  backend: string;
  /** What was asked for (argument or RFTLAB_BACKEND). */
  requested: BackendChoice;
  /** Package that provides the backend, e.g. "@tensorflow/tfjs-node-gpu". */
  provider: string;
  gpu: boolean;
  threads: number;
  simd: boolean;
  versions: Record<string, string>;
  /** Why faster backends were skipped, in preference order. */
  skipped: string[];
}

let active: BackendInfo | undefined;

function tryRequire(name: string): { mod?: unknown; why?: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(name);
    if ((mod as { __rftlabShim?: boolean }).__rftlabShim) return { why: `${name}: not installed (rftlab's shim for danfojs-node)` };
    return { mod };
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0];
    return { why: `${name}: ${msg.includes("Cannot find module") ? "not installed" : msg}` };
  }
}

function pkgVersion(name: string): string | undefined {
  try {
    return require(`${name}/package.json`).version as string;
  } catch {
    return undefined;
  }
}

async function tryTensorflow(skipped: string[]): Promise<{ provider: string; gpu: boolean } | undefined> {
  for (const [pkg, gpu] of [
    ["@tensorflow/tfjs-node-gpu", true],
    ["@tensorflow/tfjs-node", false],
  ] as const) {
    const { mod, why } = tryRequire(pkg);
    if (!mod) {
      skipped.push(why!);
      continue;
    }
    if (await tf.setBackend("tensorflow")) return { provider: pkg, gpu };
    skipped.push(`${pkg}: loaded but the "tensorflow" backend failed to initialise`);
  }
  return undefined;
}

async function tryWasm(skipped: string[]): Promise<boolean> {
  const { mod, why } = tryRequire("@tensorflow/tfjs-backend-wasm");
  if (!mod) {
    skipped.push(why!);
    return false;
  }
  const { configureWasm } = await import("./wasm/setup");
  await configureWasm();
  try {
    if (await withoutNewProcessHandlers(() => tf.setBackend("wasm"))) return true;
  } catch (e) {
    skipped.push(`@tensorflow/tfjs-backend-wasm: ${(e as Error).message}`);
    return false;
  }
  skipped.push("@tensorflow/tfjs-backend-wasm: failed to initialise");
  return false;
}

/**
 * Runs fn and removes the process handlers it added. Emscripten's Node glue (the wasm backend) adds
 * uncaughtException / unhandledRejection handlers that rethrow: any later stray rejection would kill a
 * Jupyter kernel, which reports those in the cell instead.
 */
async function withoutNewProcessHandlers<T>(fn: () => Promise<T>): Promise<T> {
  const events = ["uncaughtException", "unhandledRejection"];
  const emitter: NodeJS.EventEmitter = process;
  const before = events.map((e) => new Set(emitter.listeners(e)));
  try {
    return await fn();
  } finally {
    events.forEach((e, i) => {
      for (const listener of emitter.listeners(e)) if (!before[i].has(listener)) emitter.off(e, listener as () => void);
    });
  }
}

/** Parses a backend choice; throws naming the argument, the value and the allowed values. */
export function parseBackendChoice(value: string, source = "backend"): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(value)) return value as BackendChoice;
  throw new RftlabError(`${source} must be one of ${BACKEND_CHOICES.join(", ")}; got "${value}"`);
}

/**
 * Selects the fastest available backend: tfjs-node-gpu, tfjs-node, wasm, then pure-JS cpu (`auto`),
 * or exactly the one asked for. Choice comes from the argument, else RFTLAB_BACKEND, else auto.
 * Warns once when `auto` lands on something slower than wasm.
 */
export async function initBackend(choice?: BackendChoice | string): Promise<BackendInfo> {
  const fromEnv = choice === undefined && process.env.RFTLAB_BACKEND;
  const requested = parseBackendChoice(choice ?? (process.env.RFTLAB_BACKEND || "auto"), fromEnv ? "RFTLAB_BACKEND" : "backend");
  if (active && (active.requested === requested || active.backend === requested)) return active;
  installMatMulGradient();
  const skipped: string[] = [];
  let provider = "";
  let gpu = false;
  if (requested === "tensorflow" || requested === "auto") {
    const t = await tryTensorflow(skipped);
    if (t) ({ provider, gpu } = t);
    else if (requested === "tensorflow") {
      throw new RftlabError(
        `backend "tensorflow" is not available (${skipped.join("; ")}); install @tensorflow/tfjs-node-gpu or ` +
          `@tensorflow/tfjs-node (see environment.md), or use backend "wasm"`,
      );
    }
  }
  if (!provider && (requested === "wasm" || requested === "auto")) {
    if (await tryWasm(skipped)) provider = "@tensorflow/tfjs-backend-wasm";
    else if (requested === "wasm") throw new RftlabError(`backend "wasm" failed to start: ${skipped.join("; ")}`);
  }
  if (!provider) {
    await tf.setBackend("cpu");
    provider = "@tensorflow/tfjs-backend-cpu";
    if (requested === "auto") warnOnce("backend-fallback-cpu", `rftlab: using the slow pure-JS cpu backend (${skipped.join("; ")})`);
  }
  await tf.ready();
  const backend = tf.getBackend();
  const { wasmThreads, wasmSimd } = await import("./wasm/setup");
  active = {
    backend,
    requested,
    provider,
    gpu,
    threads: backend === "wasm" ? wasmThreads() : backend === "cpu" ? 1 : 0,
    simd: backend === "wasm" ? wasmSimd() : false,
    versions: Object.fromEntries(
      ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu", "rftlab"]
        .map((p) => [p, p === "rftlab" ? require("../../../package.json").version : pkgVersion(p)])
        .filter(([, v]) => v && !String(v).includes("shim")),
    ) as Record<string, string>,
    skipped,
  };
  if (process.env.RFTLAB_QUIET !== "1" && requested === "auto" && backend !== "tensorflow") {
    warnOnce("backend-fallback", `rftlab: using ${backend} (no tfjs-node-gpu/tfjs-node installed; see environment.md for GPU)`);
  }
  return active;
}

let firstUse: Promise<BackendInfo> | undefined;

/**
 * For the library's long-running entry points (sampling, training, pretraining): selects the best backend
 * as `initBackend()` does when no backend was chosen yet, instead of running on tfjs' default pure-JS cpu.
 */
export async function ensureBackend(): Promise<void> {
  if (!active) await (firstUse ??= initBackend());
}

/** The active backend's description; throws if initBackend has not run. */
export function backendInfo(): BackendInfo {
  if (!active) throw new RftlabError("no backend selected yet: call `await initBackend()` first");
  return active;
}
