// PEFT adapters (lib/peft/peft-adapter.ts) against PyTorch's merge (tests/reference/peft-adapter.py), and
// `rftlab intruders|rank --adapter` against the same commands on the merged checkpoint.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { openPeftAdapter, type WeightSource } from "../../lib/peft";
import { intruderDimensionsOf } from "../../lib/analysis";
import { tensorPairs } from "../../lib/analysis/weights";
import { openCheckpoint } from "../../lib/io";
import { expectClose } from "../helpers/expect";
import { referenceScript, runPython, torchAvailable } from "../helpers/python";
import { runCli } from "../helpers/cli";
import { tmpDir } from "../helpers/tmp";
import { openAnalysisPair } from "../../lib/cli/analysis-pair";
import { parseCommandArgs, type ParsedArgs } from "../../lib/cli/command";
import intruders from "../../lib/cli/intruders";

interface Case {
  name: string;
  base: string;
  adapter: string;
  merged: string;
  forwardError: number;
}

describe("PEFT LoRA adapters", { skip: !torchAvailable() && "needs python3-torch" }, () => {
  let cases: Case[];
  const byName = (n: string) => cases.find((c) => c.name === n)!;
  before(() => {
    cases = runPython<{ cases: Case[] }>(referenceScript("peft-adapter.py"), { dir: tmpDir() }).cases;
  });

  test("the reference adapters' forward passes equal forward with PyTorch's merged weights", () => {
    for (const c of cases) assert.ok(c.forwardError < 1e-5, `${c.name}: ${c.forwardError}`);
  });

  test("merged weights equal PyTorch's (LoRA with rank/alpha patterns and an embedding, rsLoRA in bf16, GPT-2 fan_in_fan_out)", async () => {
    for (const c of cases) {
      const adapter = await openPeftAdapter(c.adapter);
      const base = await openCheckpoint(c.base);
      const merged = await openCheckpoint(c.merged);
      try {
        const view = adapter.mergedWith(base);
        for (const t of base.tensors()) {
          expectClose(await view.readFloat32(t.name), await merged.readFloat32(t.name), {
            atol: 1e-7,
            rtol: 1e-5,
            what: `${c.name} ${t.name}`,
          });
        }
      } finally {
        await Promise.all([adapter.close(), base.close(), merged.close()]);
      }
    }
  });

  test("r, α and s per module come from r, lora_alpha, use_rslora, rank_pattern and alpha_pattern", async () => {
    const plain = await openPeftAdapter(byName("lora").adapter);
    const rs = await openPeftAdapter(byName("rslora-bf16").adapter);
    try {
      const s = Object.fromEntries(plain.targets.map((t) => [t.module, [t.kind, t.r, t.alpha, t.scaling]]));
      assert.deepEqual(s, {
        "model.embed_tokens": ["embedding", 4, 8, 2],
        "model.layers.0.self_attn.q_proj": ["linear", 4, 8, 2],
        "model.layers.0.mlp.up_proj": ["linear", 2, 8, 4],
        "model.layers.1.self_attn.q_proj": ["linear", 4, 16, 4],
      });
      for (const t of rs.targets) expectClose(t.scaling, 16 / Math.sqrt(8), { what: "rsLoRA α/√r" });
      const gpt2 = await openPeftAdapter(byName("gpt2-fan-in-fan-out").adapter);
      assert.deepEqual(gpt2.ignored, ["base_model.model.transformer.h.0.attn.c_attn.bias"]);
      assert.deepEqual(
        gpt2.targets.map((t) => t.shape),
        [
          [64, 192],
          [64, 256],
        ],
      );
      await gpt2.close();
    } finally {
      await Promise.all([plain.close(), rs.close()]);
    }
  });

  test("intruders of (base, adapter) equal intruders of (base, merged checkpoint)", async () => {
    const counts = async (base: WeightSource, tuned: WeightSource) => {
      const out: [string, number, number[]][] = [];
      for await (const p of tensorPairs(base, tuned, (_, s) => s.length === 2)) {
        const [m, n] = p.shape;
        const { row } = intruderDimensionsOf(
          p.name,
          { rows: m, cols: n, data: p.base },
          { rows: m, cols: n, data: p.tuned },
          { k: 6, epsSweep: [] },
        );
        out.push([p.name, row.intruders, row.similarities]);
      }
      return out;
    };
    for (const c of cases) {
      const adapter = await openPeftAdapter(c.adapter);
      const base = await openCheckpoint(c.base);
      const merged = await openCheckpoint(c.merged);
      try {
        const a = await counts(base, adapter.mergedWith(base));
        const m = await counts(base, merged);
        assert.deepEqual(
          a.map(([n, k]) => [n, k]),
          m.map(([n, k]) => [n, k]),
          c.name,
        );
        a.forEach(([n, , s], i) => expectClose(s, m[i][2], { atol: 1e-4, what: `${c.name} ${n}` }));
      } finally {
        await Promise.all([adapter.close(), base.close(), merged.close()]);
      }
    }
  });

  test("rftlab intruders --adapter prints the JSON of rftlab intruders <base> <merged>", () => {
    const c = byName("gpt2-fan-in-fan-out");
    const a = runCli(["intruders", "--adapter", c.adapter, "--base", c.base, "--json", "--k", "6"]);
    const m = runCli(["intruders", c.base, c.merged, "--json", "--k", "6"]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(m.code, 0, m.stderr);
    const ja = JSON.parse(a.stdout);
    const jm = JSON.parse(m.stdout);
    assert.deepEqual(Object.keys(ja), Object.keys(jm));
    assert.deepEqual(
      ja.tensors.map((t: { name: string; intruders: number; shape: number[] }) => [t.name, t.intruders, t.shape]),
      jm.tensors.map((t: { name: string; intruders: number; shape: number[] }) => [t.name, t.intruders, t.shape]),
    );
    assert.match(
      a.stderr,
      /1 adapter tensor\(s\) are no LoRA factors and are not applied \(e\.g\. base_model\.model\.transformer\.h\.0\.attn\.c_attn\.bias\)/,
    );
    // The adapter names its base (base_model_name_or_path is the base file): --base may be left out.
    const own = runCli(["intruders", "--adapter", c.adapter, "--json", "--k", "6"]);
    assert.equal(own.code, 0, own.stderr);
    assert.deepEqual(JSON.parse(own.stdout), ja);
  });

  test("rftlab rank --adapter: rank(s·B·A) = r per target, 0 elsewhere", () => {
    const r = runCli(["rank", "--adapter", byName("lora").adapter, "--base", byName("lora").base, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const ranks = Object.fromEntries(JSON.parse(r.stdout).tensors.map((t: { name: string; rank: number }) => [t.name, t.rank]));
    assert.deepEqual(ranks, {
      "model.embed_tokens.weight": 4,
      "model.layers.0.self_attn.q_proj.weight": 4,
      "model.layers.0.mlp.up_proj.weight": 2,
      "model.layers.1.self_attn.q_proj.weight": 4,
    });
  });

  test("rftlab diff --adapter: the sparsity of base + ΔW against base equals rftlab diff <base> <merged>", () => {
    const c = byName("lora");
    for (const precision of ["native", "bf16"]) {
      const a = runCli(["diff", "--adapter", c.adapter, "--base", c.base, "--json", "--precision", precision]);
      const m = runCli(["diff", c.base, c.merged, "--json", "--precision", precision]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(m.code, 0, m.stderr);
      const rows = (out: string) =>
        JSON.parse(out).tensors.map((t: { name: string; numel: number; unchangedCount: number; status: string }) => [
          t.name,
          t.numel,
          t.unchangedCount,
          t.status,
        ]);
      assert.deepEqual(rows(a.stdout), rows(m.stdout), precision);
      // Untouched tensors keep sparsity 1; LoRA's ΔW is dense, so adapted ones fall to ~0 natively.
      const byTensor = Object.fromEntries(
        JSON.parse(a.stdout).tensors.map((t: { name: string; sparsity: number }) => [t.name, t.sparsity]),
      );
      assert.equal(byTensor["model.layers.0.input_layernorm.weight"], 1);
      if (precision === "native") assert.ok(byTensor["model.layers.0.self_attn.q_proj.weight"] < 0.05, JSON.stringify(byTensor));
    }
  });

  test("bad adapters and bases: one line naming the file or module and the fix", async () => {
    const c = byName("gpt2-fan-in-fan-out");
    const dir = tmpDir();
    const copy = (name: string, edit: (cfg: Record<string, unknown>) => void) => {
      const d = path.join(dir, name);
      fs.mkdirSync(d);
      fs.copyFileSync(path.join(c.adapter, "adapter_model.safetensors"), path.join(d, "adapter_model.safetensors"));
      const cfg = JSON.parse(fs.readFileSync(path.join(c.adapter, "adapter_config.json"), "utf8"));
      edit(cfg);
      fs.writeFileSync(path.join(d, "adapter_config.json"), JSON.stringify(cfg));
      return d;
    };
    const cases: [string[], RegExp][] = [
      [
        ["--adapter", copy("no-fifo", (x) => (x.fan_in_fan_out = false)), "--base", c.base],
        /fan_in_fan_out is false .* fix fan_in_fan_out/,
      ],
      [["--adapter", copy("dora", (x) => (x.use_dora = true)), "--base", c.base], /use_dora is true.*merge_and_unload/],
      [["--adapter", copy("rank", (x) => (x.r = 8)), "--base", c.base], /do not fit rank r = 8/],
      [
        ["--adapter", c.adapter, "--base", byName("lora").base],
        /module transformer\.h\.0\.attn\.c_attn has no weight in .*pass the base model the adapter was trained on/,
      ],
      [["--adapter", dir, "--base", c.base], /no adapter_config\.json/],
      [
        ["--adapter", copy("nobase", (x) => (x.base_model_name_or_path = "/nowhere/model"))],
        /base_model_name_or_path "\/nowhere\/model" .*pass --base/,
      ],
      [["--base", c.base, c.base, c.merged], /--base goes with --adapter/],
      [[c.base], /pass <base> <tuned>, or --adapter/],
    ];
    for (const [argv, re] of cases) {
      const args = parseCommandArgs(intruders, argv);
      assert.notEqual(args, "help");
      await assert.rejects(
        openAnalysisPair("intruders", args as ParsedArgs),
        (e: Error) => re.test(e.message) && !e.message.includes("\n"),
      );
    }
    // The CLI prints such an error as one line.
    const r = runCli(["intruders", ...cases[0][0]]);
    assert.equal(r.code === 0, false);
    assert.match(r.stderr, cases[0][1]);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  });
});
