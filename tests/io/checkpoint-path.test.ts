import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { openCheckpoint, writeSafetensors, writeShardedSafetensors, hubCacheRoot, locateCheckpoint } from "../../lib/io";
import { tmpDir } from "../helpers/tmp";

const root = tmpDir("rftlab-io-path-");
const tensor = (name: string, v: number) => ({ name, dtype: "F32" as const, shape: [2], data: new Float32Array([v, -v]) });

/** A hub cache repo laid out like huggingface_hub: blobs/, snapshots/<sha>/ with relative symlinks, refs/main. */
async function fakeHubRepo(cache: string, id: string, sha: string, sharded: boolean): Promise<string> {
  const repo = path.join(cache, `models--${id.replace("/", "--")}`);
  const staging = path.join(root, `staging-${sha}`);
  if (sharded) await writeShardedSafetensors(staging, [tensor("a", 1), tensor("b", 2)], { maxShardBytes: 8 });
  else await writeSafetensors(path.join(staging, "model.safetensors"), [tensor("a", 1), tensor("b", 2)]);
  fs.writeFileSync(path.join(staging, "config.json"), "{}");
  const snap = path.join(repo, "snapshots", sha);
  fs.mkdirSync(snap, { recursive: true });
  fs.mkdirSync(path.join(repo, "blobs"), { recursive: true });
  for (const f of fs.readdirSync(staging)) {
    const blob = `${sha}-${f}`.replace(/\./g, "_");
    fs.copyFileSync(path.join(staging, f), path.join(repo, "blobs", blob));
    fs.symlinkSync(path.join("..", "..", "blobs", blob), path.join(snap, f));
  }
  fs.mkdirSync(path.join(repo, "refs"), { recursive: true });
  fs.writeFileSync(path.join(repo, "refs", "main"), sha);
  return repo;
}

describe("locating checkpoints", () => {
  test("hub cache repo folder resolves refs/main to its snapshot (symlinks into blobs)", async () => {
    const cache = path.join(root, "hub");
    const repo = await fakeHubRepo(cache, "org/tiny", "abc123", true);
    fs.mkdirSync(path.join(repo, "snapshots", "old999")); // another, older snapshot
    const ckpt = await openCheckpoint(repo);
    assert.equal(ckpt.dir, path.join(repo, "snapshots", "abc123"));
    assert.equal(ckpt.files.length, 2);
    assert.deepEqual(Array.from(await ckpt.readFloat32("b")), [2, -2]);
    await ckpt.close();
  });

  test('"org/name" is looked up in HF_HUB_CACHE, then HF_HOME/hub', async () => {
    const cache = path.join(root, "hub2");
    await fakeHubRepo(cache, "org/single", "def456", false);
    const saved = { HF_HUB_CACHE: process.env.HF_HUB_CACHE, HF_HOME: process.env.HF_HOME };
    try {
      process.env.HF_HUB_CACHE = cache;
      assert.equal(locateCheckpoint("org/single").dir, path.join(cache, "models--org--single", "snapshots", "def456"));
      delete process.env.HF_HUB_CACHE;
      process.env.HF_HOME = path.join(root, "hfhome");
      fs.mkdirSync(process.env.HF_HOME, { recursive: true });
      fs.renameSync(cache, path.join(process.env.HF_HOME, "hub"));
      const ckpt = await openCheckpoint("org/single");
      assert.deepEqual(Array.from(await ckpt.readFloat32("a")), [1, -1]);
      await ckpt.close();
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  test("hubCacheRoot honours HF_HUB_CACHE over HF_HOME over ~/.cache", () => {
    assert.equal(hubCacheRoot({ HF_HUB_CACHE: "/x", HF_HOME: "/y" }), "/x");
    assert.equal(hubCacheRoot({ HF_HOME: "/y" }), path.join("/y", "hub"));
    assert.ok(hubCacheRoot({}).endsWith(path.join(".cache", "huggingface", "hub")));
  });

  test("a snapshot folder, the index file, a shard-less folder with one other .safetensors", async () => {
    const repo = path.join(root, "hub", "models--org--tiny");
    const snap = path.join(repo, "snapshots", "abc123");
    assert.equal(locateCheckpoint(snap).files.length, 2);
    assert.equal(locateCheckpoint(path.join(snap, "model.safetensors.index.json")).files.length, 2);
    const other = path.join(root, "adapter");
    await writeSafetensors(path.join(other, "adapter_model.safetensors"), [tensor("lora_A", 1)]);
    assert.deepEqual(locateCheckpoint(other).files, [path.join(other, "adapter_model.safetensors")]);
  });

  test("without refs/main a single snapshot is used", async () => {
    const repo = await fakeHubRepo(path.join(root, "hub3"), "org/noref", "777", false);
    fs.rmSync(path.join(repo, "refs"), { recursive: true });
    assert.equal(locateCheckpoint(repo).dir, path.join(repo, "snapshots", "777"));
  });
});

describe("path safety", () => {
  /** A folder with a one-tensor shard and an index whose weight_map names `shard` for tensor "a". */
  async function indexNaming(name: string, shard: string): Promise<string> {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    await writeSafetensors(path.join(dir, "own.safetensors"), [tensor("a", 1)]);
    fs.writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: { a: shard } }));
    return dir;
  }

  test("weight_map shards outside the index's folder are refused: .., absolute, a link out", async () => {
    const good = path.join(root, "outside", "good.safetensors");
    fs.mkdirSync(path.dirname(good), { recursive: true });
    await writeSafetensors(good, [tensor("a", 1)]);
    const up = await indexNaming("deep/up", "../../outside/good.safetensors");
    await assert.rejects(
      openCheckpoint(up),
      /weight_map\["a"\] = "\.\.\/\.\.\/outside\/good\.safetensors" points outside the index's folder/,
    );
    const abs = await indexNaming("abs", good);
    await assert.rejects(openCheckpoint(abs), /must be a shard file name relative to the index/);
    const linked = await indexNaming("linked", "link.safetensors");
    fs.symlinkSync(good, path.join(linked, "link.safetensors"));
    await assert.rejects(
      openCheckpoint(linked),
      /weight_map\["a"\] = "link\.safetensors" is a link to .*outside[/\\]good\.safetensors, outside the index's folder/,
    );
    // a link that stays inside the folder is fine
    const inside = await indexNaming("inside", "alias.safetensors");
    fs.symlinkSync("own.safetensors", path.join(inside, "alias.safetensors"));
    const ok = await openCheckpoint(inside);
    assert.deepEqual(Array.from(await ok.readFloat32("a")), [1, -1]);
    await ok.close();
  });

  test("a symlink loop and a FIFO give one-line errors, and the FIFO does not block", async () => {
    const loop = path.join(root, "loop.safetensors");
    fs.symlinkSync(loop, loop);
    await assert.rejects(openCheckpoint(loop), /loop\.safetensors: a symbolic link loop .*\(fix or remove the link\)/);
    const fifoDir = path.join(root, "fifo");
    fs.mkdirSync(fifoDir);
    const fifo = path.join(fifoDir, "x.safetensors");
    execFileSync("mkfifo", [fifo]);
    await assert.rejects(openCheckpoint(fifo), /x\.safetensors: not a regular file \(a pipe, socket or device\)/);
    // a FIFO shard of an index: refused by the index check
    fs.writeFileSync(path.join(fifoDir, "model.safetensors.index.json"), JSON.stringify({ weight_map: { a: "x.safetensors" } }));
    await assert.rejects(openCheckpoint(fifoDir), /shard is not a regular file: x\.safetensors/);
  });
});
