export { tf } from "./tf";
export type { Tensor, Variable } from "./tf";
export { initBackend, backendInfo, parseBackendChoice, BACKEND_CHOICES } from "./backend";
export type { BackendChoice, BackendInfo } from "./backend";
