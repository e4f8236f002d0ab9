import { tf } from "./tf";
import { RftlabError, warnOnce } from "../errors";
import { installMatMulGradient } from "./matmul-grad";
import type { WebgpuAdapter } from "./webgpu";

export type BackendChoice = "auto" | "tensorflow" | "webgpu" | "wasm" | "cpu";
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "tensorflow", "webgpu", "wasm", "cpu"];

export interface BackendInfo {
  /** The active tfjs backend name ("tensorflow", "webgpu", "wasm" or "cpu"). */
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
  /** The WebGPU adapter, when WebGPU was probed and Dawn found one (also when auto refused it). */
  adapter?: WebgpuAdapter;
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

async function tryTensorflow(pkg: "@tensorflow/tfjs-node-gpu" | "@tensorflow/tfjs-node", skipped: string[]): Promise<boolean> {
  const { mod, why } = tryRequire(pkg);
  if (!mod) {
    skipped.push(why!);
    return false;
  }
  if (await tf.setBackend("tensorflow")) return true;
  skipped.push(`${pkg}: loaded but the "tensorflow" backend failed to initialise`);
  return false;
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
 * Selects the fastest available backend (`auto`): tfjs-node-gpu, WebGPU on a hardware adapter, tfjs-node,
 * wasm, then pure-JS cpu; or exactly the one asked for (`webgpu` accepts a CPU adapter such as SwiftShader). Choice comes from the argument, else RFTLAB_BACKEND, else auto.
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
  let adapter: WebgpuAdapter | undefined;
  const tensorflowPkgs =
    requested === "tensorflow"
      ? (["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const)
      : requested === "auto"
        ? (["@tensorflow/tfjs-node-gpu"] as const)
        : [];
  for (const pkg of tensorflowPkgs) if (!provider && (await tryTensorflow(pkg, skipped))) [provider, gpu] = [pkg, pkg.endsWith("-gpu")];
  if (!provider && (requested === "webgpu" || requested === "auto")) {
    const { startWebgpu } = await import("./webgpu");
    const w = await startWebgpu(requested === "webgpu");
    adapter = w.adapter;
    if (!w.why) [provider, gpu] = ["@tensorflow/tfjs-backend-webgpu", !w.adapter!.software];
    else if (requested === "webgpu") {
      throw new RftlabError(
        `backend "webgpu" is not available (${w.why}); install a Vulkan driver and libvulkan1 (see environment.md), or use backend "wasm"`,
      );
    } else skipped.push(w.why);
  }
  if (!provider && requested === "auto" && (await tryTensorflow("@tensorflow/tfjs-node", skipped))) provider = "@tensorflow/tfjs-node";
  if (!provider && requested === "tensorflow") {
    throw new RftlabError(
      `backend "tensorflow" is not available (${skipped.join("; ")}); install @tensorflow/tfjs-node-gpu or ` +
        `@tensorflow/tfjs-node (see environment.md), or use backend "wasm"`,
    );
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
      [
        "@tensorflow/tfjs",
        "@tensorflow/tfjs-backend-wasm",
        "@tensorflow/tfjs-backend-webgpu",
        "webgpu",
        "@tensorflow/tfjs-node",
        "@tensorflow/tfjs-node-gpu",
        "rftlab",
      ]
        .map((p) => [p, p === "rftlab" ? require("../../../package.json").version : pkgVersion(p)])
        .filter(([, v]) => v && !String(v).includes("shim")),
    ) as Record<string, string>,
    skipped,
    ...(adapter && { adapter }),
  };
  if (process.env.RFTLAB_QUIET !== "1" && requested === "auto" && !gpu && backend !== "tensorflow") {
    // One short line (a notebook shows it in red on the first cell); the reasons are in the returned `skipped`.
    warnOnce("backend-fallback", `rftlab: using ${backend}, no GPU backend (why: initBackend().skipped; GPU set-up: environment.md)`);
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
