export { DEFAULT_SAMPLE_CONFIG, resolveSampleConfig } from "./config";
export type { SampleConfig } from "./config";
export { generate } from "./generate";
export type { Generation, GenerateOptions, TextDecoder } from "./generate";
export { chooseToken } from "./filter";
export { packSequences, disposeBatch } from "./packed-batch";
export type { PackedBatch } from "./packed-batch";
