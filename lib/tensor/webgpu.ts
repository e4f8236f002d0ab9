import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { tf } from "./tf";

/** What `rftlab info` reports about the WebGPU adapter (from GPUAdapterInfo and GPUSupportedLimits). */
export interface WebgpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (SwiftShader, llvmpipe/lavapipe) or the adapter Dawn marks as fallback. */
  software: boolean;
  limits: Record<string, number>;
}

// The limits that bound tensor sizes and kernel shapes; the full set is ~30 texture/vertex numbers.
const LIMIT_NAMES = [
  "maxBufferSize",
  "maxStorageBufferBindingSize",
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupsPerDimension",
] as const;

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software|fallback/i;

/** tfjs-backend-webgpu's MatMulProgramType.MatMulSmallOutputSizeProgram (the enum is not exported). */
const SMALL_OUTPUT_SIZE_MATMUL = 2;

/** Vulkan driver manifests the loader would read: the env override, else the standard ICD folders. */
export function vulkanDriverFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  if (listed) return listed.split(":").filter((f) => f && fs.existsSync(f));
  const dataDirs = [
    env.XDG_DATA_HOME ?? path.join(os.homedir(), ".local/share"),
    ...(env.XDG_DATA_DIRS ?? "/usr/local/share:/usr/share").split(":"),
  ];
  const dirs = ["/etc/vulkan/icd.d", ...dataDirs.map((d) => path.join(d, "vulkan/icd.d"))];
  return dirs.flatMap((d) =>
    fs.existsSync(d)
      ? fs
          .readdirSync(d)
          .filter((f) => f.endsWith(".json"))
          .map((f) => path.join(d, f))
      : [],
  );
}

interface DawnModule {
  create(options: string[]): { requestAdapter(o?: object): Promise<DawnAdapter | null> };
  globals: object;
}
interface DawnAdapter {
  info: Record<string, unknown>;
  limits: Record<string, number>;
  isFallbackAdapter?: boolean;
}

/**
 * Loads Dawn (npm `webgpu`), asks for an adapter and, if there is one, registers tfjs's `webgpu` backend.
 * Returns the adapter, or why WebGPU is unavailable. `allowSoftware` false: a CPU adapter is refused
 * before tfjs touches it (auto selection must never pick SwiftShader over wasm).
 */
export async function startWebgpu(allowSoftware: boolean): Promise<{ adapter?: WebgpuAdapter; why?: string }> {
  const drivers = vulkanDriverFiles();
  // Without a driver manifest Dawn prints Vulkan loader warnings on every start: skip it quietly instead.
  if (process.platform === "linux" && drivers.length === 0) {
    return { why: "webgpu: no Vulkan driver (no ICD manifest in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d; VK_ICD_FILENAMES unset)" };
  }
  let dawn: DawnModule;
  try {
    // `webgpu` is ESM; Node ≥ 20.19 loads it with require.
    dawn = require("webgpu") as DawnModule;
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0];
    return { why: `webgpu: ${msg.includes("Cannot find module") ? "not installed (npm package `webgpu`, an optional dependency)" : msg}` };
  }
  // Dawn reports a missing runtime dir on stderr; a private folder per user will do (one, reused).
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = path.join(os.tmpdir(), `rftlab-xdg-${os.userInfo().uid}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  const gpu = dawn.create([]);
  const raw = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!raw) return { why: `webgpu: Dawn found no adapter (Vulkan drivers: ${drivers.join(", ")})` };
  const info = raw.info;
  const field = (k: string) => String(info[k] ?? "");
  const adapter: WebgpuAdapter = {
    vendor: field("vendor"),
    architecture: field("architecture"),
    device: field("device"),
    description: field("description"),
    software:
      Boolean(info.isFallbackAdapter ?? raw.isFallbackAdapter) ||
      SOFTWARE.test(`${field("vendor")} ${field("architecture")} ${field("description")}`),
    limits: Object.fromEntries(LIMIT_NAMES.map((k) => [k, Number(raw.limits[k])])),
  };
  const name = `${adapter.vendor}/${adapter.architecture}${adapter.description ? ` (${adapter.description})` : ""}`;
  if (adapter.software && !allowSoftware) {
    return { adapter, why: `webgpu: adapter ${name} is a CPU implementation (force it with backend "webgpu")` };
  }
  // tfjs-backend-webgpu reads navigator.gpu and the GPUBufferUsage/GPUMapMode globals the browser would define.
  Object.assign(globalThis, dawn.globals);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, "gpu", { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
  require("@tensorflow/tfjs-backend-webgpu");
  // tfjs gives matmuls with ≤ 128 outputs a 256-invocation workgroup per output that reduces through workgroup
  // barriers; a CPU adapter runs those barriers as thread switches (SwiftShader: ~200 ms for an [8,16]×[16,8],
  // 13× the CPU time of a tiny model's whole SFT step). Its small-tile matmul (type 2) is ~3 ms there, and
  // compiles 4× faster than the vec4 packed one. GPUs keep tfjs's choice.
  if (adapter.software) tf.env().set("WEBGPU_MATMUL_PROGRAM_TYPE", SMALL_OUTPUT_SIZE_MATMUL);
  try {
    if (await tf.setBackend("webgpu")) return { adapter };
  } catch (e) {
    return { adapter, why: `webgpu: tfjs backend failed on adapter ${name}: ${(e as Error).message}` };
  }
  return { adapter, why: `webgpu: tfjs backend failed to initialise on adapter ${name}` };
}
