// tslab's TypeScript fork, and the one change the kernel makes to how tslab's converter uses it.
import { createRequire } from "node:module";

export type TS = typeof import("@tslab/typescript-for-tslab");

/** tslab's TypeScript fork, resolved from tslab's own folder: the compiler that runs the cells. */
export const ts: TS = createRequire(require.resolve("tslab/package.json"))("@tslab/typescript-for-tslab");

/**
 * Turns off TypeScript's directory watchers for the converters created after this call.
 *
 * tslab's converter runs TypeScript's watch program with a one-slot fake timer that it fires itself, inside each
 * conversion, for the program update the conversion schedules. A change in a directory TypeScript watches for
 * failed module lookups (the notebook's folder, node_modules: a folder or file created there by a cell) schedules
 * a re-resolution timer in that slot, which tslab never fires; the next conversion then throws "Unexpected pending
 * rebuildTimer", and so does every later cell. The price: an import that failed is not retried after its module
 * appears (npm install during a session) until the kernel restarts.
 */
export function stopDirectoryWatching(): void {
  ts.sys.watchDirectory = () => ({ close: () => {} });
}
