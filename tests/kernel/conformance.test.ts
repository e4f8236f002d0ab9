// The Jupyter kernel conformance suite (jupyter_kernel_test, Debian python3-jupyter-kernel-test) against
// this build's kernel; tests/kernel/conformance.py holds the code samples.
import { test } from "node:test";
import assert from "node:assert/strict";
import { installTestKernel, python, KERNEL_TEST_SRC } from "./jupyter";

test("jupyter_kernel_test passes with no failures or errors", async () => {
  const jup = await installTestKernel();
  const r = python(["-m", "unittest", "-v", "conformance"], jup, { cwd: KERNEL_TEST_SRC });
  const log = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, log);
  assert.match(log, /^OK\b/m, log);
  // Skipped: only the pager and clear_output samples, which this kernel does not claim.
  const skipped = [...log.matchAll(/^(test_\w+) .*\.\.\. skipped/gm)].map((m) => m[1]).sort();
  assert.deepEqual(skipped, ["test_clear_output", "test_pager"], log);
});
