// The watchdog's own thread (started by kernel/watchdog.ts; no imports, so it starts fast and small).
//
// Node's vm `breakOnSigint` (tslab runs each cell's synchronous part with it) leaves SIGINT to libuv only
// if no other thread holds a SIGINT handle when it ends; otherwise the next SIGINT kills the process. So
// this thread listens for SIGINT only while the main thread is blocked outside that synchronous part
// ("armed"), and the main thread waits for it to disarm before entering the next one.
import { isMainThread, parentPort, workerData } from "node:worker_threads";

/** How long the main thread gets to handle a SIGINT itself (cooperative stops keep the model consistent). */
const GRACE_MS = 500;
/** The main thread counts as blocked once its heartbeat is this old. */
const BLOCKED_MS = 300;
const TICK_MS = 50;
/** How often the parent process is looked for. */
const PARENT_POLL_MS = 1000;

/** Indices into the shared Int32Array state. */
export const STATE = {
  /** 1 while a cell runs. */
  cellRunning: 0,
  /** 1 while the cell's synchronous part runs under vm's breakOnSigint. */
  syncPart: 1,
  /** 1 while this thread holds a SIGINT handle. */
  armed: 2,
  /** Bumped by the main thread's event loop every HEARTBEAT_MS. */
  heartbeat: 3,
  /** SIGINTs the main thread has handled. */
  sigintsHandled: 4,
} as const;
export const HEARTBEAT_MS = 100;

export interface WatchdogData {
  state: Int32Array;
  parentPid: number;
  canTerminate: boolean;
}

interface SignalHandle {
  onsignal: (signum: number) => void;
  start(signum: number): number;
  close(): void;
}

function runWatchdog({ state, parentPid, canTerminate }: WatchdogData): void {
  // Workers get no process.on("SIGINT"); libuv's signal handle does deliver to this thread's loop.
  process.noDeprecation = true;
  const { Signal } = (process as unknown as { binding(name: string): { Signal: new () => SignalHandle } }).binding("signal_wrap");
  const load = (i: number) => Atomics.load(state, i);

  const onSigint = () => {
    const expected = load(STATE.sigintsHandled) + 1;
    setTimeout(() => {
      if (load(STATE.cellRunning) !== 1 || load(STATE.sigintsHandled) >= expected) return;
      if (canTerminate) terminateMainThread();
      else
        parentPort?.postMessage(
          "a cell's blocked synchronous code cannot be interrupted: node was started without --no-force-async-hooks-checks",
        );
    }, GRACE_MS);
  };

  let handle: SignalHandle | undefined;
  let beat = -1;
  let beatAt = Date.now();
  // Referenced: the thread lives as long as the kernel (the Worker itself is unref'd).
  setInterval(() => {
    const now = Date.now();
    if (load(STATE.heartbeat) !== beat) {
      beat = load(STATE.heartbeat);
      beatAt = now;
    }
    const blocked = now - beatAt >= BLOCKED_MS;
    const arm = blocked && load(STATE.cellRunning) === 1 && load(STATE.syncPart) === 0;
    if (arm && !handle) {
      handle = new Signal();
      handle.onsignal = onSigint;
      handle.start(2);
      Atomics.store(state, STATE.armed, 1);
    } else if (!arm && handle) {
      handle.close();
      handle = undefined;
      Atomics.store(state, STATE.armed, 0);
      Atomics.notify(state, STATE.armed);
    }
  }, TICK_MS);

  if (parentPid > 1) {
    const startPpid = process.ppid;
    setInterval(() => {
      if (process.ppid === startPpid && alive(parentPid)) return;
      process.kill(process.pid, "SIGTERM");
      setTimeout(() => process.kill(process.pid, "SIGKILL"), 2000);
    }, PARENT_POLL_MS);
  }
}

/** Connected only for this: a connected inspector session makes Node wait for it at exit. */
function terminateMainThread(): void {
  const inspector = require("node:inspector") as typeof import("node:inspector");
  const session = new inspector.Session();
  session.connectToMainThread();
  session.post("Runtime.terminateExecution", () => session.disconnect());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

if (!isMainThread && (workerData as Partial<WatchdogData>)?.state) runWatchdog(workerData as WatchdogData);
