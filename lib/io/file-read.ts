import type { FileHandle } from "node:fs/promises";
import { CheckpointError } from "./checkpoint-error";

/** Largest single positional read: Node refuses reads over 2 GiB, and smaller pieces keep the loop responsive. */
const MAX_PIECE = 1 << 30;

/** Fills dst from `position` with positional reads of ≤ 1 GiB, looping on short reads; EOF is an error. */
export async function readFully(fh: FileHandle, position: number, dst: Uint8Array, file: string): Promise<void> {
  let done = 0;
  while (done < dst.byteLength) {
    const want = Math.min(MAX_PIECE, dst.byteLength - done);
    const { bytesRead } = await fh.read(dst, done, want, position + done);
    if (bytesRead === 0) {
      throw new CheckpointError(
        file,
        `unexpected end of file at byte ${position + done} (wanted ${dst.byteLength} bytes from ${position})`,
        "the file was truncated or changed while open",
      );
    }
    done += bytesRead;
  }
}
