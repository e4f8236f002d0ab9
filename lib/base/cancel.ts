// Cooperative cancellation of long library loops (training, sampling, pretraining, evaluation, diffs).
// Two signals stop a loop: the caller's `options.signal` and the ambient one that the Jupyter kernel's
// interrupt (one per cell) or the CLI's Ctrl-C aborts. Loops call `await check()` between units of work:
// it yields to the event loop now and then, so that an interrupt can be delivered at all, and throws the
// signal's reason once a signal is aborted. Work is only ever stopped between units, never inside one.

let ambient: AbortSignal | undefined;

/** Installs the signal that stops library loops started from now on (undefined removes it). */
export function setInterruptSignal(signal: AbortSignal | undefined): void {
  ambient = signal;
}

/**
 * A cancellation check for one loop, bound to `signal` and to the ambient signal installed now.
 * Each call throws if either is aborted, and yields one macrotask turn when `yieldEveryMs` passed since
 * the last yield (0: every call), so that SIGINT handlers and control messages get to run.
 */
export function cancellationCheck(signal?: AbortSignal, yieldEveryMs = 0): () => Promise<void> {
  const signals = [signal, ambient].filter((s): s is AbortSignal => s !== undefined);
  let last = performance.now();
  const throwIfAborted = () => {
    for (const s of signals) s.throwIfAborted();
  };
  return async () => {
    throwIfAborted();
    if (performance.now() - last < yieldEveryMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    last = performance.now();
    throwIfAborted();
  };
}

/** True for what an aborted signal throws: its reason (an Error named KeyboardInterrupt or AbortError). */
export function isInterrupt(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  return name === "AbortError" || name === "KeyboardInterrupt";
}

/** The reason the kernel and the CLI abort with: Python's name for it, which Jupyter frontends know. */
export class KeyboardInterrupt extends Error {
  override name = "KeyboardInterrupt";
}
