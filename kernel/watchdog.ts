// A worker thread that keeps the kernel controllable while its main thread is blocked by synchronous
// code (a cell's loop after an `await`, a long library call): signals and timers of the main thread wait
// for its event loop, the worker's do not (kernel/watchdog-thread.ts).
// - Interrupt: a SIGINT that the blocked main thread does not handle within a grace period terminates the
//   cell's JavaScript through the inspector (Runtime.terminateExecution, which V8 cancels once the code
//   has unwound); the kernel then reports KeyboardInterrupt as usual.
// - Orphan: when the Jupyter process that started the kernel (JPY_PARENT_PID) is gone, the kernel exits.
import path from "node:path";
import { Worker } from "node:worker_threads";
import { TERMINATE_FLAG } from "../lib/cli/kernelspec";
import { HEARTBEAT_MS, STATE, type WatchdogData } from "./watchdog-thread";

/** The main thread's side: tells the watchdog when a cell runs, its synchronous part, and handled SIGINTs. */
export class Watchdog {
  private readonly state = new Int32Array(new SharedArrayBuffer(4 * Object.keys(STATE).length));

  constructor() {
    const data: WatchdogData = {
      state: this.state,
      parentPid: Number(process.env.JPY_PARENT_PID) || 0,
      canTerminate: process.execArgv.includes(TERMINATE_FLAG),
    };
    const worker = new Worker(path.join(__dirname, "watchdog-thread.js"), { workerData: data });
    worker.unref();
    worker.on("message", (text: string) => process.stderr.write(`rftlab kernel: ${text}\n`));
    setInterval(() => Atomics.add(this.state, STATE.heartbeat, 1), HEARTBEAT_MS).unref();
  }

  cellRunning(running: boolean): void {
    Atomics.store(this.state, STATE.cellRunning, running ? 1 : 0);
  }

  /** Brackets the cell's synchronous part (vm breakOnSigint): entering waits until the watchdog disarmed. */
  syncPart(inside: boolean): void {
    Atomics.store(this.state, STATE.syncPart, inside ? 1 : 0);
    while (inside && Atomics.load(this.state, STATE.armed) === 1) Atomics.wait(this.state, STATE.armed, 1, 200);
  }

  sigintHandled(): void {
    Atomics.add(this.state, STATE.sigintsHandled, 1);
  }
}
