// A full disk, injected: the n-th file write from now on fails with ENOSPC as a real one does (an append
// or a file write lands half its bytes first). Counts appendFile, mkdir and files opened for writing.
import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";

function enospc(file: unknown): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, write '${String(file)}'`), {
    code: "ENOSPC",
    errno: -28,
    path: String(file),
  });
}

/** A handle whose writes store half of what they are given, then fail. */
function failingHandle(fh: FileHandle, file: unknown): FileHandle {
  return new Proxy(fh, {
    get(target, prop) {
      if (prop === "write" || prop === "writeFile") {
        return async (data: Uint8Array | string, offset = 0, length?: number) => {
          const bytes = typeof data === "string" ? Buffer.from(data) : data;
          const n = length ?? bytes.byteLength - offset;
          await target.write(bytes, offset, Math.floor(n / 2));
          throw enospc(file);
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** Fails the `n`-th write from now (Infinity: only counts). `restore()` frees the disk again. */
export function failNthWrite(n: number): { writes: () => number; restore: () => void } {
  const p = fs.promises;
  const { appendFile, mkdir, open } = p;
  let count = 0;
  const hit = () => ++count === n;
  p.appendFile = (async (file: fs.PathLike, data: string | Uint8Array, ...rest: unknown[]) => {
    if (!hit()) return appendFile.call(p, file, data, ...(rest as []));
    await appendFile.call(
      p,
      file,
      typeof data === "string" ? data.slice(0, Math.floor(data.length / 2)) : data.subarray(0, data.length >> 1),
    );
    throw enospc(file);
  }) as typeof p.appendFile;
  p.mkdir = (async (dir: fs.PathLike, ...rest: unknown[]) => {
    if (hit()) throw enospc(dir);
    return mkdir.call(p, dir, ...(rest as []));
  }) as typeof p.mkdir;
  p.open = (async (file: fs.PathLike, flags?: string | number, ...rest: unknown[]) => {
    const writing = typeof flags === "string" && /[wa+]/.test(flags);
    const fh = await open.call(p, file, flags, ...(rest as []));
    return writing && hit() ? failingHandle(fh, file) : fh;
  }) as typeof p.open;
  return {
    writes: () => count,
    restore: () => Object.assign(p, { appendFile, mkdir, open }),
  };
}
