import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { moduleSensitivity } from "../../lib/analysis";
import type { WeightMap } from "../../lib/analysis";
import { expectClose } from "../helpers/expect";

const stage = (q: number[], up: number[]): WeightMap =>
  new Map([
    ["model.layers.0.self_attn.q_proj.weight", { shape: [2], data: new Float32Array(q) }],
    ["model.layers.0.mlp.up_proj.weight", { shape: [2], data: new Float32Array(up) }],
  ]);

describe("FPF module sensitivity", () => {
  test("Σ_t ‖θ^t − θ^{t−1}‖ / ‖θ^{t−1}‖ by hand, ranked", () => {
    // q: [3,4] → [3,4] → [0,4]: 0/5 + 3/5 = 0.6. up: [1,0] → [2,0] → [2,0]: 1/1 + 0 = 1.
    const { rows, perModule } = moduleSensitivity([stage([3, 4], [1, 0]), stage([3, 4], [2, 0]), stage([0, 4], [2, 0])]);
    assert.deepEqual(
      rows.map((r) => [r.module, r.rank]),
      [
        ["up", 1],
        ["q", 2],
      ],
    );
    expectClose(
      rows.map((r) => r.sensitivity),
      [1, 0.6],
      { what: "sensitivity" },
    );
    expectClose(rows[1].perStage, [0, 0.6], { what: "per stage" });
    assert.equal(perModule[0].name, "up");
    assert.throws(() => moduleSensitivity([stage([1, 1], [1, 1])]), /at least 2 stages/);
  });
});
