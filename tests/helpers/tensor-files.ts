import path from "node:path";
import { writeSafetensors, type TensorToWrite } from "../../lib/io";
import { tmpDir } from "./tmp";

/**
 * Safetensors files for CLI tests in a fresh temporary folder: their paths at once (`files.base` is
 * `<dir>/base.safetensors`), the files written by `write()` (call it in `before`).
 */
export function tensorFiles<K extends string>(specs: Record<K, TensorToWrite[]>, prefix?: string) {
  const dir = tmpDir(prefix);
  const names = Object.keys(specs) as K[];
  const files = Object.fromEntries(names.map((k) => [k, path.join(dir, `${k}.safetensors`)])) as Record<K, string>;
  const write = async () => {
    for (const k of names) await writeSafetensors(files[k], specs[k]);
  };
  return { dir, files, write };
}
