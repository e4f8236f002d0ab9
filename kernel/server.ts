// The kernel's message loop, built on tslab's ZmqServer (sockets, heartbeat) with our own dispatch.
// Fixes over stock tslab: execute_input / execute_result with execution counts, `error` messages and
// error replies with ename/evalue/traceback, stop_on_error honoured (no blanket cancelling after an
// error), comm_info_reply and history_reply, shutdown that exits, and background failures (unhandled
// rejections, uncaught exceptions) reported into the running or last cell instead of killing the kernel.
import { format } from "node:util";
import vm from "node:vm";
import { ZmqServer } from "tslab/dist/jupyter";
import type { Executor } from "tslab/dist/executor";
import { JupyterMessage, type FrameSink } from "./wire";
import type { RftlabHandler } from "./handler";
import { CellHistory, type HistoryRequest } from "./history";
import { compileError, isDiagnosticCall, runtimeError, type CellError } from "./cell-error";
import { mimeBundle, normalizeBundle, type MimeBundle } from "./result-bundle";
import type { Watchdog } from "./watchdog";
import { prepareDisplay } from "../lib/display/sink";
import { CellSources } from "./cell-lines";

/** The console handed to tslab's executor: it receives the cell's last value (`log`) and errors (`error`). */
export class CellConsole {
  values: unknown[] = [];
  errors: unknown[][] = [];
  log(value?: unknown): void {
    this.values.push(value);
  }
  error(...args: unknown[]): void {
    this.errors.push(args);
  }
  reset(): void {
    this.values = [];
    this.errors = [];
  }
}

/** What the server tells the library and the watchdog about cells (the launcher wires them up). */
export interface CellHooks {
  /** Installs the signal that stops library loops (lib/base/cancel setInterruptSignal). */
  setInterruptSignal?(signal: AbortSignal | undefined): void;
  /** Makes values of libraries a cell loaded displayable (danfo DataFrames: lib/display installTableDisplay). */
  afterCell?(): void;
  watchdog?: Watchdog;
}

export interface DisplayOptions {
  displayId?: string;
  update?: boolean;
}

type Outcome = { ok: true; hasValue: boolean; value: unknown } | { ok: false; error: CellError };

export class RftlabKernelServer extends ZmqServer {
  private executionCount = 0;
  private shellQueue: Promise<void> = Promise.resolve();
  /** Bumped when a cell fails with stop_on_error: execute requests queued before that are aborted. */
  private abortEpoch = 0;
  /** The execute_request whose cell receives output now (the last one after it finished, as in IPython). */
  private parentMsg: JupyterMessage | undefined;
  private readonly history = new CellHistory();
  /** Per socket: the last send handed to zeromq (or waiting for it), and how many messages wait in that chain. */
  private readonly sends = new Map<FrameSink, Promise<unknown>>();
  private readonly waiting = new Map<FrameSink, number>();
  private streamsRedirected = false;
  private readonly realStderrWrite = process.stderr.write.bind(process.stderr);
  /** Aborted by an interrupt: library loops of the running cell stop at their next check. */
  private cellAbort: AbortController | undefined;
  hooks: CellHooks = {};
  private readonly cellSources = new CellSources();
  /** The cell whose compiled code tslab runs next through vm (see captureCompiledCells). */
  private pendingCell: { filename: string; source: string } | undefined;

  constructor(
    private readonly rftlabHandler: RftlabHandler,
    configPath: string,
    private readonly executor: Executor,
    private readonly cellConsole: CellConsole,
    /** Messages from startup (e.g. a failed rftlab import), shown in the first cell's stderr. */
    private readonly startupNotes: string[] = [],
  ) {
    super(rftlabHandler, configPath);
  }

  /** Hooks process-wide events: SIGINT interrupts the cell, background failures are reported, not fatal. */
  installProcessHooks(): void {
    this.captureCompiledCells();
    process.on("SIGINT", () => {
      this.hooks.watchdog?.sigintHandled();
      this.interrupt();
    });
    process.on("unhandledRejection", (reason) => this.reportBackground("Unhandled promise rejection", reason));
    process.on("uncaughtException", (err) => this.reportBackground("Uncaught exception", err));
  }

  override async handleShellMessage(sock: FrameSink, ...frames: Buffer[]): Promise<void> {
    let msg: JupyterMessage;
    try {
      msg = JupyterMessage.parse(this.connInfo.key, frames);
    } catch (e) {
      this.log(`rftlab kernel: dropped a message: ${(e as Error).message}`);
      return;
    }
    if (sock === (this.control as unknown)) {
      await this.handleControl(sock, msg);
      return;
    }
    // Shell requests run one at a time in arrival order, like ipykernel.
    const epoch = this.abortEpoch;
    const run = this.shellQueue.then(() => this.handleShell(sock, msg, epoch));
    this.shellQueue = run.catch((e) => this.log(`rftlab kernel: ${msg.type} failed: ${format(e)}`));
    await this.shellQueue;
  }

  /** Publishes a display_data (or update_display_data) into the current cell: the display sink's target. */
  publishDisplay(bundle: MimeBundle, opts: DisplayOptions = {}): void {
    const parent = this.parentMsg;
    if (!parent) return;
    const content = {
      data: normalizeBundle(bundle),
      metadata: {},
      transient: opts.displayId ? { display_id: opts.displayId } : {},
    };
    this.publish(parent.child(opts.update ? "update_display_data" : "display_data", content));
  }

  private async handleControl(sock: FrameSink, msg: JupyterMessage): Promise<void> {
    switch (msg.type) {
      case "shutdown_request":
        return this.shutdown(sock, msg);
      case "interrupt_request":
        this.interrupt();
        return this.reply(sock, msg.child("interrupt_reply", { status: "ok" }));
      case "kernel_info_request":
        return this.reply(sock, msg.child("kernel_info_reply", this.rftlabHandler.handleKernel()));
      default:
        this.log(`rftlab kernel: unsupported control message ${msg.type}`);
    }
  }

  /** Ends the running cell with KeyboardInterrupt and stops the library work it started. */
  private interrupt(): void {
    this.cellAbort?.abort(Object.assign(new Error("cell interrupted"), { name: "KeyboardInterrupt" }));
    this.executor.interrupt();
  }

  private async handleShell(sock: FrameSink, msg: JupyterMessage, epoch: number): Promise<void> {
    this.publishState("busy", msg);
    try {
      switch (msg.type) {
        case "execute_request":
          await this.execute(sock, msg, epoch);
          break;
        case "kernel_info_request":
          this.reply(sock, msg.child("kernel_info_reply", this.rftlabHandler.handleKernel()));
          break;
        case "is_complete_request":
          this.reply(sock, msg.child("is_complete_reply", this.rftlabHandler.handleIsComplete(msg.content as { code: string })));
          break;
        case "complete_request":
          this.reply(
            sock,
            msg.child(
              "complete_reply",
              this.guarded(() => this.rftlabHandler.handleComplete(msg.content as never)),
            ),
          );
          break;
        case "inspect_request":
          this.reply(
            sock,
            msg.child(
              "inspect_reply",
              this.guarded(() => this.rftlabHandler.handleInspect(msg.content as never)),
            ),
          );
          break;
        case "history_request": {
          const history = this.history.query(msg.content as HistoryRequest);
          this.reply(sock, msg.child("history_reply", { status: "ok", history }));
          break;
        }
        case "comm_info_request":
          this.reply(sock, msg.child("comm_info_reply", { status: "ok", comms: {} }));
          break;
        case "shutdown_request":
          await this.shutdown(sock, msg);
          return;
        default:
          // comm_open etc.: no comm targets are registered, so there is nothing to answer.
          this.log(`rftlab kernel: unsupported shell message ${msg.type}`);
      }
    } finally {
      this.publishState("idle", msg);
    }
  }

  private async execute(sock: FrameSink, msg: JupyterMessage, epoch: number): Promise<void> {
    const req = msg.content as { code: string; silent?: boolean; store_history?: boolean; stop_on_error?: boolean };
    if (epoch < this.abortEpoch) {
      // No execution_count, as ipykernel: Notebook 6 shows a reply's count as the cell's prompt, so a
      // cell that never ran would read "In [4]" like the one that failed.
      this.reply(sock, msg.child("execute_reply", { status: "aborted" }));
      return;
    }
    const silent = req.silent === true;
    const storeHistory = !silent && req.store_history !== false;
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    this.parentMsg = msg;
    this.redirectStreams();
    if (!silent) this.publish(msg.child("execute_input", { code: req.code, execution_count: count }));
    for (const note of this.startupNotes.splice(0)) this.stream("stderr", note + "\n");

    // busy and execute_input leave before the cell's code can block the event loop.
    await this.flushed();
    let outcome = await this.runCell(req.code);
    let output: string | null = null;
    if (outcome.ok && outcome.hasValue && !silent) {
      try {
        await prepareDisplay(outcome.value);
        const data = mimeBundle(outcome.value);
        this.publish(msg.child("execute_result", { execution_count: count, data, metadata: {} }));
        output = typeof data["text/plain"] === "string" ? data["text/plain"] : null;
      } catch (e) {
        outcome = { ok: false, error: this.cellError(e) };
      }
    }
    if (storeHistory) this.history.add(count, req.code, output);
    if (outcome.ok) {
      this.reply(sock, msg.child("execute_reply", { status: "ok", execution_count: count, payload: [], user_expressions: {} }));
      return;
    }
    if (!silent) this.publish(msg.child("error", { ...outcome.error }));
    if (req.stop_on_error !== false) this.abortEpoch++;
    this.reply(sock, msg.child("execute_reply", { status: "error", execution_count: count, ...outcome.error }));
  }

  /** Runs one cell with its own interrupt signal, the watchdog told, and process.exit turned into an error. */
  private async runCell(code: string): Promise<Outcome> {
    const { setInterruptSignal, watchdog } = this.hooks;
    this.cellAbort = new AbortController();
    setInterruptSignal?.(this.cellAbort.signal);
    watchdog?.cellRunning(true);
    const exit = process.exit;
    process.exit = ((status?: number) => {
      throw new ProcessExitError(
        `process.exit(${status ?? ""}) in a cell: the kernel keeps running; restart it from the Kernel menu instead`,
      );
    }) as typeof process.exit;
    try {
      return await this.run(code);
    } finally {
      process.exit = exit;
      watchdog?.cellRunning(false);
      this.hooks.afterCell?.();
    }
  }

  /** Runs one cell through tslab's executor and sorts what its console received into value or error. */
  private async run(code: string): Promise<Outcome> {
    this.cellConsole.reset();
    let ok: boolean;
    try {
      ok = await this.startCell(code);
    } catch (e) {
      return { ok: false, error: this.cellError(e) };
    }
    // One macrotask turn, so that rejections the cell left unhandled are reported inside it.
    await new Promise((resolve) => setImmediate(resolve));
    const { values, errors } = this.cellConsole;
    const diagnostics = errors.filter(isDiagnosticCall);
    if (!ok) {
      if (diagnostics.length > 0) return { ok: false, error: compileError(diagnostics, code) };
      const thrown = errors.length > 0 ? errors[0][0] : new Error("the cell failed without an error message");
      return { ok: false, error: this.cellError(thrown) };
    }
    // `//module:` cells report their diagnostics but still succeed.
    for (const args of errors) this.stream("stderr", format(...args) + "\n");
    return { ok: true, hasValue: values.length > 0, value: values[values.length - 1] };
  }

  /** Starts tslab's execute: compiling and the cell's synchronous part run before it returns its promise. */
  private startCell(code: string): Promise<boolean> {
    this.pendingCell = { filename: `cell[${this.executionCount}]`, source: code };
    this.hooks.watchdog?.syncPart(true);
    try {
      return this.executor.execute(code);
    } finally {
      this.hooks.watchdog?.syncPart(false);
      this.pendingCell = undefined;
    }
  }

  /** Runs each cell's compiled code under its own filename, and keeps it to map tracebacks to cell lines. */
  private captureCompiledCells(): void {
    const run = vm.runInThisContext;
    vm.runInThisContext = ((code: string, options?: vm.RunningScriptOptions | string) => {
      const cell = this.pendingCell;
      if (!cell || typeof options === "string") return run(code, options);
      this.pendingCell = undefined;
      this.cellSources.add(cell.filename, code, cell.source);
      return run(code, { ...options, filename: cell.filename });
    }) as typeof vm.runInThisContext;
  }

  private cellError(thrown: unknown): CellError {
    const e = runtimeError(thrown);
    return { ...e, traceback: this.cellSources.rewrite(e.traceback) };
  }

  private guarded<T>(fn: () => T): T | { status: "error"; ename: string; evalue: string; traceback: string[] } {
    try {
      return fn();
    } catch (e) {
      return { status: "error", ...runtimeError(e) };
    }
  }

  /** Cell output written with console.log / process.stdout.write goes to the current cell as stream messages. */
  private redirectStreams(): void {
    if (this.streamsRedirected) return;
    this.streamsRedirected = true;
    for (const name of ["stdout", "stderr"] as const) {
      const target = process[name];
      target.write = ((chunk: string | Uint8Array, encoding?: unknown, cb?: unknown) => {
        const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
        this.stream(name, text);
        const done = typeof encoding === "function" ? encoding : cb;
        if (typeof done === "function") process.nextTick(done as () => void);
        return true;
      }) as typeof target.write;
    }
  }

  private stream(name: "stdout" | "stderr", text: string): void {
    if (!this.parentMsg) {
      this.realStderrWrite(text);
      return;
    }
    this.publish(this.parentMsg.child("stream", { name, text }));
  }

  private reportBackground(what: string, reason: unknown): void {
    const e = this.cellError(reason);
    this.stream("stderr", `${what}: ${e.traceback.join("\n")}\n`);
  }

  private async shutdown(sock: FrameSink, msg: JupyterMessage): Promise<void> {
    const restart = (msg.content as { restart?: boolean }).restart === true;
    this.reply(sock, msg.child("shutdown_reply", { status: "ok", restart }));
    await this.flushed();
    this.close();
    // Library timers (tfjs, playwright) must not keep a shut-down kernel alive.
    setTimeout(() => process.exit(0), 50).unref();
  }

  private publishState(state: "busy" | "idle", parent: JupyterMessage): void {
    this.publish(parent.child("status", { execution_state: state }));
  }

  private publish(msg: JupyterMessage): void {
    this.enqueueSend(this.iopub as unknown as FrameSink, (s) => msg.publish(this.connInfo.key, s));
  }

  private reply(sock: FrameSink, msg: JupyterMessage): void {
    this.enqueueSend(sock, (s) => msg.reply(this.connInfo.key, s));
  }

  /**
   * zeromq allows one pending send per socket. A message goes out at once when zeromq can take it now, so
   * that output written by a cell's synchronous code leaves while that code runs (zeromq takes up to 512 in
   * a row without the event loop); otherwise it waits in a chain behind the pending send, which keeps order.
   */
  private enqueueSend(sock: FrameSink, send: (s: FrameSink) => void): void {
    if (!this.waiting.get(sock) && this.trySend(sock, send)) return;
    this.waiting.set(sock, (this.waiting.get(sock) ?? 0) + 1);
    const next = (this.sends.get(sock) ?? Promise.resolve())
      .then(() => {
        this.waiting.set(sock, (this.waiting.get(sock) ?? 1) - 1);
        let pending: unknown;
        send({ send: (frames) => (pending = sock.send(frames)) });
        return pending;
      })
      .catch((e) => this.log(`rftlab kernel: send failed: ${format(e)}`));
    this.sends.set(sock, next);
  }

  /** Hands the message to zeromq now; false when the socket is still busy with an earlier send. */
  private trySend(sock: FrameSink, send: (s: FrameSink) => void): boolean {
    let pending: unknown;
    try {
      send({ send: (frames) => (pending = sock.send(frames)) });
    } catch (e) {
      if ((e as { code?: unknown }).code === "EBUSY") return false;
      this.log(`rftlab kernel: send failed: ${format(e)}`);
      return true;
    }
    this.sends.set(
      sock,
      Promise.resolve(pending).catch((e) => this.log(`rftlab kernel: send failed: ${format(e)}`)),
    );
    return true;
  }

  /** Resolves once every message queued so far was handed to zeromq. */
  private async flushed(): Promise<void> {
    await Promise.all(this.sends.values());
  }

  private log(text: string): void {
    this.realStderrWrite(text + "\n");
  }
}

class ProcessExitError extends Error {
  override name = "ProcessExit";
}
