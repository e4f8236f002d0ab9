// rftlab's Jupyter kernel: `node <dist>/kernel/launcher.js <connection_file>` (the kernelspec's argv).
// Built from tslab 1.0.22's converter, executor and ZmqServer; never hands off to another tslab on disk.
import fs from "node:fs";
import path from "node:path";
import { format } from "node:util";
import { createConverter, type Converter } from "tslab/dist/converter";
import { createExecutor, type ConverterSet } from "tslab/dist/executor";
import * as tslabJupyter from "tslab/dist/jupyter";
import { RftlabHandler } from "./handler";
import { CellConsole, RftlabKernelServer, type DisplayOptions } from "./server";
import { preludeSource } from "./prelude";
import type { MimeBundle } from "./result-bundle";
import { Watchdog } from "./watchdog";
import { stopDirectoryWatching } from "./typescript";

export interface KernelOptions {
  connectionFile: string;
  /** rftlab's compiled entry point; by default the dist/lib/index.js next to this launcher. */
  rftlabMain?: string;
}

export async function startKernel(opts: KernelOptions): Promise<RftlabKernelServer> {
  const rftlabMain = opts.rftlabMain ?? path.resolve(__dirname, "..", "lib", "index.js");
  stopDirectoryWatching();
  const node = createConverter({ isJS: false, isBrowser: false });
  let browser: Converter | undefined;
  const convs: ConverterSet = {
    node,
    get browser() {
      return (browser ??= createConverter({ isJS: false, isBrowser: true }));
    },
    close: () => {
      node.close();
      browser?.close();
    },
  };
  const cellConsole = new CellConsole();
  // Cells resolve imports from the notebook's folder (Jupyter starts kernels there).
  const executor = createExecutor(process.cwd(), convs, cellConsole);

  const notes: string[] = [];
  let display: ((bundle: MimeBundle, o?: DisplayOptions) => void) | undefined;
  // Modules beside the entry point (dist/lib/...): the same instances the library uses.
  const libModule = <T>(...parts: string[]) => require(path.join(path.dirname(rftlabMain), ...parts)) as Partial<T>;
  let cancel: Partial<{ setInterruptSignal(s: AbortSignal | undefined): void }> = {};
  let table: Partial<{ installTableDisplay(): void }> = {};
  try {
    const api = require(rftlabMain) as Record<string, unknown>;
    if (!(await executor.execute(preludeSource(rftlabMain, api)))) {
      notes.push(`rftlab kernel: the prelude importing rftlab failed: ${cellConsole.errors.map((a) => format(...a)).join("\n")}`);
    }
    cellConsole.reset();
    const sink = libModule<{ setDisplaySink(s: { display: typeof display }): void }>("display", "sink.js");
    sink.setDisplaySink?.({ display: (b, o) => display?.(b, o) });
    cancel = libModule("base", "cancel.js");
    table = libModule("display", "table.js");
    // The best backend before the first cell; its one-line note (e.g. "using wasm") opens the first cell's stderr.
    notes.push(...(await stderrLines(() => (api.initBackend as () => Promise<unknown>)())));
  } catch (e) {
    notes.push(`rftlab kernel: could not load rftlab from ${rftlabMain}: ${(e as Error).stack ?? e}`);
  }

  const server = new RftlabKernelServer(
    new RftlabHandler(executor, packageVersion(rftlabMain)),
    opts.connectionFile,
    executor,
    cellConsole,
    notes,
  );
  display = (bundle, o) => server.publishDisplay(bundle, o);
  // tslab's own `display` API (import { display } from "tslab") writes through this module variable.
  (tslabJupyter as { lastWriteDisplayData: unknown }).lastWriteDisplayData = (
    data: { data: MimeBundle; transient?: { display_id?: string } },
    update: boolean,
  ) => server.publishDisplay(data.data, { displayId: data.transient?.display_id, update });
  server.hooks = {
    setInterruptSignal: cancel.setInterruptSignal,
    afterCell: () => table.installTableDisplay?.(),
    watchdog: new Watchdog(),
  };
  server.installProcessHooks();
  await server.init();
  return server;
}

/** Runs fn with what it writes to stderr collected as lines instead of printed. */
async function stderrLines(fn: () => Promise<unknown>): Promise<string[]> {
  const write = process.stderr.write;
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return text.split("\n").filter((l) => l.trim() !== "");
}

function packageVersion(rftlabMain: string): string {
  for (let dir = path.dirname(rftlabMain); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version?: string }).version ?? "0.0.0";
  }
  return "0.0.0";
}

if (require.main === module) {
  const connectionFile = process.argv[2];
  if (!connectionFile || !fs.existsSync(connectionFile)) {
    process.stderr.write(`usage: node ${path.basename(__filename)} <connection_file>; got ${JSON.stringify(connectionFile ?? "")}\n`);
    process.exit(2);
  }
  startKernel({ connectionFile }).catch((e) => {
    process.stderr.write(`rftlab kernel failed to start: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
