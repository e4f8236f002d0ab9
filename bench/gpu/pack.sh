#!/usr/bin/env bash
# Packs what the GPU measurement (bench/gpu/run.sh) needs into bench/out/gpu/bundle.tar.xz, for a machine with
# PyTorch and a GPU but no Node: this machine's Node binary, rftlab's compiled dist/, the npm files the benches
# load (found by loading them, not guessed), the Python peers and their reference helpers, the pretrained tiny
# model grpo-step uses, and libvulkan.so.1. The device tool carries at most 64 MiB; the script checks the size.
# Usage (after `npx tsc -p tsconfig.json`): bash bench/gpu/pack.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out/gpu
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out" "$stage/bin" "$stage/lib" "$stage/bench" "$stage/tests/reference" "$stage/cache"
cp "$(readlink -f "$(command -v node)")" "$stage/bin/node"
cp -r dist package.json "$stage/"
rm -rf "$stage/dist/tests" "$stage/dist/kernel"
cp bench/*.py "$stage/bench/"
cp tests/reference/*.py "$stage/tests/reference/"
cp "$(readlink -f /usr/lib/x86_64-linux-gnu/libvulkan.so.1)" "$stage/lib/libvulkan.so.1"
export RFTLAB_CACHE=${RFTLAB_CACHE:-$PWD/.rftlab-cache}
cp -r "$RFTLAB_CACHE"/pretrained-tiny-* "$stage/cache/"
# ensurePretrainedTiny hashes this config to find the cached model.
mkdir -p "$stage/datasets"
cp datasets/pretrain-tiny.json "$stage/datasets/"

nm=$(readlink -f node_modules)
# Every file under node_modules that loading the benches' modules and both backends requires, plus the package.json
# files on the way and the wasm backend's .wasm binaries (read at run time, not required).
node -e '
  for (const m of ["./dist/lib/rl", "./dist/lib/model", "./dist/lib/sampling", "./dist/lib/tasks", "./dist/lib/rewards",
                   "./dist/lib/cli/main", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-backend-webgpu", "webgpu"]) require(m);
  const files = Object.keys(require.cache).filter((f) => f.includes("/node_modules/"));
  for (const f of files) console.log(f);
' > "$stage/files.txt"
for f in $(cat "$stage/files.txt") node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm \
  node_modules/webgpu/dist/linux-x64/dawn.node $(find -L node_modules -maxdepth 3 -name package.json); do
  # require.cache holds real paths: node_modules may be a link (a git worktree's is) to another checkout's.
  case $f in "$nm"/*) rel=node_modules/${f#"$nm/"} ;; *) rel=${f#"$PWD/"} ;; esac
  mkdir -p "$stage/$(dirname "$rel")"
  cp "$rel" "$stage/$rel"
done
rm "$stage/files.txt"
tar cJf "$out/bundle.tar.xz" -C "$stage" .
size=$(stat -c %s "$out/bundle.tar.xz")
echo "bench/gpu/pack.sh: $out/bundle.tar.xz is $((size / 1048576)) MiB"
if ((size > 60 * 1048576)); then echo "bench/gpu/pack.sh: over the 60 MiB budget" >&2; exit 1; fi
