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

export interface KernelOptions {
  connectionFile: string;
  /** rftlab's compiled entry point; by default the dist/lib/index.js next to this launcher. */
  rftlabMain?: string;
}

export async function startKernel(opts: KernelOptions): Promise<RftlabKernelServer> {
  const rftlabMain = opts.rftlabMain ?? path.resolve(__dirname, "..", "lib", "index.js");
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
  try {
    const api = require(rftlabMain) as Record<string, unknown>;
    if (!(await executor.execute(preludeSource(rftlabMain, api)))) {
      notes.push(`rftlab kernel: the prelude importing rftlab failed: ${cellConsole.errors.map((a) => format(...a)).join("\n")}`);
    }
    cellConsole.reset();
    // The sink lives beside the entry point (dist/lib/display/sink.js): the same module instance the library uses.
    const sink = require(path.join(path.dirname(rftlabMain), "display", "sink.js")) as {
      setDisplaySink?: (s: { display: typeof display }) => void;
    };
    sink.setDisplaySink?.({ display: (b, o) => display?.(b, o) });
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
  server.installProcessHooks();
  await server.init();
  exitWithParent();
  return server;
}

/** Jupyter passes its pid in JPY_PARENT_PID: a kernel whose client died without shutting it down exits too. */
function exitWithParent(): void {
  const parent = Number(process.env.JPY_PARENT_PID);
  if (!Number.isInteger(parent) || parent <= 1) return;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      process.exit(0);
    }
  }, 3000).unref();
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
