#!/usr/bin/env bash
# GPU measurement of issue 15 on a machine with PyTorch (CUDA) and a GPU's Vulkan driver but no Node: unpacks
# bench/out/gpu/bundle.tar.xz (bench/gpu/pack.sh), then runs bench/train-step with webgpu and wasm:1 next to
# PyTorch CUDA (eager fp32), and bench/grpo-step on webgpu and on wasm, each next to PyTorch CUDA. Results go to
# $OUT (the device tool's folder) or bench/out/gpu/results. Copy the tables into bench/RESULTS.md with the adapter.
#   STEPS=10 bash bench/gpu/run.sh
# Smoke test on SwiftShader (tiny sizes, PyTorch on the CPU; its numbers measure nothing):
#   SMOKE=1 TORCH_DEVICE=cpu VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json bash bench/gpu/run.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
results=${OUT:-bench/out/gpu/results}
mkdir -p "$results"
results=$(cd "$results" && pwd) # absolute: the runs below work in the unpacked bundle
root=$(mktemp -d)
tar xJf bench/out/gpu/bundle.tar.xz -C "$root"
export PATH="$root/bin:$PATH" RFTLAB_CACHE="$root/cache" RFTLAB_QUIET=1
export RFTLAB_PYTHON=${RFTLAB_PYTHON:-$(command -v python3)}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$root}
torch_device=${TORCH_DEVICE:-cuda}
grpo_size=()
if [ "${SMOKE:-0}" = 1 ]; then
  export RFTLAB_BENCH_SIZE=smoke
  grpo_size=(--prompts 2 --generations 2 --new-tokens 2)
fi
# The Vulkan loader: the machine's, else the bundled one.
ldconfig -p | grep -q "libvulkan.so.1 " || export LD_LIBRARY_PATH="$root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# NVIDIA's driver without its ICD manifest (containers mount the library only): write one.
if [ -z "${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  glx=$(ldconfig -p | awk '/libGLX_nvidia.so.0/ {print $NF; exit}')
  if [ -n "$glx" ]; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$glx" > "$root/nvidia_icd.json"
    export VK_ICD_FILENAMES="$root/nvidia_icd.json"
  fi
fi
{ nvidia-smi --query-gpu=name,driver_version --format=csv,noheader; "$RFTLAB_PYTHON" -c 'import torch; print("torch", torch.__version__, torch.version.cuda)'; node --version; } > "$results/machine.txt" 2>&1
cd "$root"
node -e 'require("./dist/lib/cli/main").main(["info", "--json", "--backend", "webgpu"]).then((c) => process.exit(c))' > "$results/info.json" 2> "$results/info.err"
cat "$results/info.json" "$results/info.err"
node dist/bench/train-step.js --backends webgpu,wasm:1 --torch-threads 1 --torch-device "$torch_device" --steps "${STEPS:-10}" --warmup 2 \
  --out "$results/train-step" 2> "$results/train-step.err"
if [ "${GRPO:-1}" = 1 ]; then
  for b in webgpu wasm; do
    node dist/bench/grpo-step.js --backend "$b" --threads 1 --torch-device "$torch_device" "${grpo_size[@]}" > "$results/grpo-step-$b.json" 2> "$results/grpo-step-$b.err"
    cat "$results/grpo-step-$b.json"
  done
fi
