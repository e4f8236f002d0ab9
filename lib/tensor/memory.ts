// Resource sanity checks before big allocations: a config asking for more memory than the backend can
// hold gets an error with the estimate, instead of a wasm `Aborted()` or a machine swapping for minutes.
import os from "node:os";
import { tf } from "./tf";
import { RftlabError } from "../errors";

/** wasm32 addresses at most 4 GiB: the wasm backend's heap cap. */
const WASM_HEAP_BYTES = 4 * 2 ** 30;

/** Bytes tensors can use: the wasm heap cap on the wasm backend, else the machine's memory. */
export function availableTensorBytes(): number {
  return tf.getBackend() === "wasm" ? Math.min(WASM_HEAP_BYTES, os.totalmem()) : os.totalmem();
}

const gib = (b: number) => `${(b / 2 ** 30).toPrecision(3)} GiB`;

/** Throws before allocating when the estimate `bytes` for `what` exceeds availableTensorBytes(). */
export function checkFits(what: string, bytes: number, fix: string): void {
  const available = availableTensorBytes();
  if (!(bytes <= available)) {
    throw new RftlabError(
      `${what} needs ≈ ${gib(bytes)} (estimate) but ≈ ${gib(available)} is available to the ${tf.getBackend() ?? "tensor"} backend; ${fix}`,
    );
  }
}
