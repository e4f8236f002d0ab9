// The planted Llama shape the checkpoint benches use (hidden 2048, MLP 5632, vocab 32000), with as many
// layers as fit a size.
import { plantedLlamaLayout, resolvePlantedLlamaConfig, type PlantedLlamaConfig } from "../lib/analysis";

/** Planted config (fraction 0.2, seed 0) whose bf16 checkpoint is at most `gb` GB. */
export function plantedConfigOfSize(gb: number): PlantedLlamaConfig {
  const shape = { hiddenSize: 2048, intermediateSize: 5632, vocabSize: 32000, fraction: 0.2, seed: 0 };
  const numel = (numLayers: number) =>
    plantedLlamaLayout(resolvePlantedLlamaConfig({ ...shape, numLayers })).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
  let numLayers = 1;
  while (2 * numel(numLayers + 1) <= gb * 1e9) numLayers++;
  return resolvePlantedLlamaConfig({ ...shape, numLayers });
}
