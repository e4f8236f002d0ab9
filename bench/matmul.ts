// GFLOP/s of tf.matMul on the wasm backend, stock tfjs kernel vs rftlab's (lib/tensor/wasm/kernels.ts):
// square products, their gradient forms (transpose flags) and the attention / linear shapes of the bench GPT.
//
//   RFTLAB_WASM_THREADS=1 node dist/bench/matmul.js [--seconds 0.5]
import { tf } from "../lib/tensor/tf";
import { initBackend } from "../lib/tensor/backend";
import { installWasmKernels, uninstallWasmKernels } from "../lib/tensor/wasm/kernels";

type Case = { name: string; a: number[]; b: number[]; ta: boolean; tb: boolean };

const CASES: Case[] = [
  ...[256, 512, 1024].flatMap((n) => [
    { name: `${n}² A·B`, a: [n, n], b: [n, n], ta: false, tb: false },
    { name: `${n}² Aᵀ·B`, a: [n, n], b: [n, n], ta: true, tb: false },
    { name: `${n}² A·Bᵀ`, a: [n, n], b: [n, n], ta: false, tb: true },
  ]),
  { name: "attn q·kᵀ [16·4,128,64]", a: [16, 4, 128, 64], b: [16, 4, 128, 64], ta: false, tb: true },
  { name: "attn p·v [16·4,128,128]×[..,128,64]", a: [16, 4, 128, 128], b: [16, 4, 128, 64], ta: false, tb: false },
  { name: "linear x·W [16,128,256]×[256,768]", a: [16, 128, 256], b: [256, 768], ta: false, tb: false },
  { name: "grad dW xᵀ·dy [2048,256]ᵀ×[2048,768]", a: [2048, 256], b: [2048, 768], ta: true, tb: false },
];

function gflops(c: Case, seconds: number): number {
  const a = tf.randomNormal(c.a);
  const b = tf.randomNormal(c.b);
  const first = tf.matMul(a, b, c.ta, c.tb);
  const k = c.ta ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
  const flops = 2 * first.size * k;
  first.dispose();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || reps < 2) {
    const out = tf.matMul(a, b, c.ta, c.tb);
    out.dataSync();
    out.dispose();
    reps++;
  }
  tf.dispose([a, b]);
  return (flops * reps) / ((performance.now() - t0) / 1000) / 1e9;
}

async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf("--seconds");
  const seconds = i >= 0 ? Number(argv[i + 1]) : 0.5;
  const info = await initBackend("wasm");
  console.log(`wasm, ${info.threads} thread(s), SIMD ${info.simd}; GFLOP/s (stock tfjs kernel → rftlab kernel)`);
  console.log("| product | stock | rftlab | speed-up |\n|---|---|---|---|");
  for (const c of CASES) {
    uninstallWasmKernels();
    const stock = gflops(c, seconds);
    installWasmKernels();
    const fast = gflops(c, seconds);
    console.log(`| ${c.name} | ${stock.toFixed(2)} | ${fast.toFixed(2)} | ${(fast / stock).toFixed(1)}x |`);
  }
}

if (require.main === module) main(process.argv.slice(2)).then(() => process.exit(0));
