// Configuration of the wasm backend before it starts: threads, SIMD, and rftlab's kernel overrides.
//
// Threads: tfjs-backend-wasm 4.22 disables threads under Node (its pthread workers are created from `blob:`
// URLs, which Node's worker_threads cannot load) and its native side caps the pool at
// `emscripten_num_logical_cores() / 2`, read once when the module starts. To run multi-threaded we start the
// threaded-SIMD emscripten module ourselves: the worker script (shipped in the package as a JS string) is
// written to a real file, the main script is the package's own .js file, `os.cpus()` reports 2× the wanted
// thread count while the module starts (so the cap is the count we ask for), and a BackendWasm is built on
// that module. Any failure falls back to the stock single-threaded SIMD module with a warning.
// RFTLAB_WASM_THREADS=n opts in (at most 8). Default 1, the stock module: on the shared 2-core machines this
// was measured on, 2 threads trained the bench GPT slower than 1 (453 vs 631 tokens/s, bench/RESULTS.md);
// on a dedicated machine set it to the core count.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { tf } from "../tf";
import { RftlabError, warnOnce } from "../../errors";
import { asm, op, wasmModule, type WasmFunction } from "./asm";
import { installWasmKernels } from "./kernels";

const MAX_THREADS = 8; // the package pre-creates 8 pthread workers
const START_TIMEOUT_MS = 30_000;

let requestedThreads = 1;
let configured: Promise<void> | undefined;

interface WasmPackage {
  BackendWasm: new (module: unknown) => tf.KernelBackend;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

function wasmPackage(): WasmPackage {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("@tensorflow/tfjs-backend-wasm") as WasmPackage;
}

/** Thread count asked for: RFTLAB_WASM_THREADS, else 1. */
function threadsFromEnv(): number {
  const raw = process.env.RFTLAB_WASM_THREADS;
  if (raw === undefined || raw === "") return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RftlabError(`RFTLAB_WASM_THREADS must be an integer from 1 to ${MAX_THREADS}; got "${raw}". Unset it for one thread.`);
  }
  return n;
}

/** Writes the pthread worker script next to the OS temp files (once per package version and content). */
function workerScriptFile(wasmOut: string): string {
  // The package stores the script as a template-literal string; "\n" inside its string literals must stay
  // escaped, as tfjs itself does before making its blob.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const contents = (
    require(path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string }
  ).wasmWorkerContents.replace(/\n/g, "\\n");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const version = require("@tensorflow/tfjs-backend-wasm/package.json").version as string;
  const file = path.join(os.tmpdir(), `rftlab-tfjs-wasm-${version}-worker-${contents.length}.js`);
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== contents) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, contents);
    fs.renameSync(tmp, file);
  }
  return file;
}

/** Starts the threaded-SIMD module with `threads` pool threads; resolves to the emscripten module. */
async function startThreadedModule(threads: number): Promise<unknown> {
  const wasmOut = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js"));
  const mainScript = path.join(wasmOut, "tfjs-backend-wasm-threaded-simd.js");
  const workerFile = workerScriptFile(wasmOut);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(mainScript) as (cfg: object) => {
    then(ok: (m: Record<string, unknown>) => void, bad: (e: unknown) => void): void;
  };
  const cpus = os.cpus;
  os.cpus = () => Array(2 * threads).fill(cpus()[0]); // read once by the module's num_cores initialiser
  try {
    const module = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer from the pthread workers after ${START_TIMEOUT_MS / 1000} s`)),
        START_TIMEOUT_MS,
      );
      factory({
        locateFile: (p: string) => (p.endsWith(".worker.js") ? workerFile : path.join(wasmOut, p)),
        mainScriptUrlOrBlob: mainScript,
        onAbort: (why: unknown) => reject(new Error(`module aborted: ${String(why)}`)),
      }).then((m) => {
        clearTimeout(timer);
        delete m.then; // an emscripten Module with `then` would make `await` loop forever
        resolve(m);
      }, reject);
    });
    const cwrap = module.cwrap as (name: string, ret: string | null, args: string[]) => unknown;
    module.tfjs = {
      init: cwrap("init", null, []),
      initWithThreadsCount: cwrap("init_with_threads_count", null, ["number"]),
      getThreadsCount: cwrap("get_threads_count", "number", []),
      registerTensor: cwrap("register_tensor", null, ["number", "number", "number"]),
      disposeData: cwrap("dispose_data", null, ["number"]),
      dispose: cwrap("dispose", null, []),
    };
    return module;
  } finally {
    os.cpus = cpus;
  }
}

async function configure(): Promise<void> {
  requestedThreads = threadsFromEnv();
  installWasmKernels();
  if (requestedThreads === 1) return;
  const pkg = wasmPackage();
  try {
    const module = await startThreadedModule(requestedThreads);
    pkg.setThreadsCount(requestedThreads);
    tf.removeBackend("wasm");
    tf.registerBackend(
      "wasm",
      () => {
        const backend = new pkg.BackendWasm(module); // spawns the pool's pthreads
        // Their workers are ref'd while a pthread runs, and pool threads never end: unref them so Node can exit.
        const { PThread } = module as { PThread: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] } };
        for (const w of [...PThread.runningWorkers, ...PThread.unusedWorkers]) w.unref();
        return backend;
      },
      2,
    );
  } catch (e) {
    requestedThreads = 1;
    warnOnce(
      "wasm-threads",
      `rftlab: multi-threaded wasm failed to start (${(e as Error).message}); using one thread. Set RFTLAB_WASM_THREADS=1 to skip the attempt.`,
    );
  }
}

/**
 * Prepares the wasm backend (call before `tf.setBackend("wasm")`; `initBackend` does): installs rftlab's
 * kernel overrides and, for more than one thread, registers a multi-threaded "wasm" backend. Idempotent.
 */
export async function configureWasm(): Promise<void> {
  configured ??= configure();
  return configured;
}

/** Threads the active wasm backend runs on (1 before it starts or when threads are off). */
export function wasmThreads(): number {
  if (tf.getBackend() !== "wasm") return Math.max(requestedThreads, 1);
  return Math.max(1, wasmPackage().getThreadsCount());
}

/** A function using one v128 instruction (tfjs' own SIMD probe: i8x16.splat of 0, dropped). */
const simdProbe: WasmFunction = { name: "probe", params: [], locals: [], body: [...asm.i32(0), ...op("i8x16.splat"), ...op("drop")] };

/** Whether the wasm backend uses SIMD: both modules rftlab starts are SIMD builds when the runtime validates
 * a module using a v128 instruction; Node 20 does. */
export function wasmSimd(): boolean {
  return WebAssembly.validate(wasmModule([simdProbe], null));
}
