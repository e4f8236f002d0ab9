import fs from "node:fs";
import path from "node:path";

/**
 * Writes a file atomically: a temp file in the same folder, fsync, then rename over the target. A failed
 * write (a full disk) removes its temp file and leaves the target as it was.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await writeChunksAtomic(file, [typeof data === "string" ? Buffer.from(data) : data]);
}

/** Synchronous twin for exit paths and small JSON files. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  writeChunksAtomicSync(file, [typeof data === "string" ? Buffer.from(data) : data]);
}

/** Synchronous writeChunksAtomic: for large binary files written from synchronous code (cached SVDs). */
export function writeChunksAtomicSync(file: string, chunks: Iterable<Uint8Array>): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    try {
      for (const chunk of chunks) fs.writeFileSync(fd, chunk);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Streams chunks into a temp file in the target's folder, fsyncs, then renames: for files too big to build in memory. */
export async function writeChunksAtomic(file: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void> {
  await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  const fh = await fs.promises.open(tmp, "w");
  try {
    for await (const chunk of chunks) {
      for (let done = 0; done < chunk.byteLength; ) {
        const { bytesWritten } = await fh.write(chunk, done, Math.min(chunk.byteLength - done, 1 << 30));
        done += bytesWritten;
      }
    }
    await fh.sync();
    await fh.close();
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => {}); // already closed when the rename failed
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
}
