import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { main } from "../../lib/cli/main";
import { kernelSpec, TERMINATE_FLAG } from "../../lib/cli/kernelspec";
import { tmpDir } from "../helpers/tmp";

test("the kernelspec starts node directly on the launcher with signal interrupts", () => {
  const spec = kernelSpec();
  assert.equal(spec.argv[0], process.execPath);
  assert.equal(spec.argv[1], TERMINATE_FLAG);
  assert.ok(path.isAbsolute(spec.argv[2]) && spec.argv[2].endsWith(path.join("kernel", "launcher.js")));
  assert.equal(spec.argv[3], "{connection_file}");
  assert.equal(spec.display_name, "rftlab (TypeScript)");
  assert.equal(spec.interrupt_mode, "signal");
  assert.equal(spec.language, "typescript");
});

test("rftlab kernel install/uninstall --prefix writes and removes share/jupyter/kernels/rftlab", async () => {
  const prefix = tmpDir();
  const file = path.join(prefix, "share", "jupyter", "kernels", "rftlab", "kernel.json");
  assert.equal(await main(["kernel", "install", "--prefix", prefix, "--json"]), 0);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), kernelSpec());
  assert.equal(await main(["kernel", "uninstall", "--prefix", prefix, "--json"]), 0);
  assert.equal(fs.existsSync(path.dirname(file)), false);
});

test("rftlab kernel install --user goes to the Jupyter data dir", async () => {
  const data = tmpDir();
  const saved = process.env.JUPYTER_DATA_DIR;
  process.env.JUPYTER_DATA_DIR = data;
  try {
    assert.equal(await main(["kernel", "install", "--user", "--json"]), 0);
    assert.ok(fs.existsSync(path.join(data, "kernels", "rftlab", "kernel.json")));
  } finally {
    if (saved === undefined) delete process.env.JUPYTER_DATA_DIR;
    else process.env.JUPYTER_DATA_DIR = saved;
  }
});

test("rftlab kernel rejects two locations and unknown actions", async () => {
  assert.equal(await main(["kernel", "install", "--user", "--prefix", "/tmp/x"]), 2);
  assert.equal(await main(["kernel", "reinstall"]), 2);
});
