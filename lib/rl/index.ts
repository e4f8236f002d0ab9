// Pure RL objectives (spec/algorithms.md): advantages, policy/DPO/SFT/TOPR losses, RAFT selection, metric keys.
export { computeAdvantages, resolveAdvantageConfig, ADVANTAGE_STD_EPS, DEFAULT_ADVANTAGE_CONFIG } from "./advantages";
export type { AdvantageConfig, AdvantageEstimator, RewardScaling } from "./advantages";
export { policyLoss, resolvePolicyLossConfig, DEFAULT_POLICY_LOSS_CONFIG } from "./policy-loss";
export type { PolicyLossConfig, PolicyLossInputs, PolicyLossResult, PolicyLossType, ImportanceLevel } from "./policy-loss";
export { dpoLoss, resolveDpoLossConfig, DEFAULT_DPO_LOSS_CONFIG } from "./dpo-loss";
export type { DpoLossConfig, DpoLossInputs, DpoLossResult, DpoLossType } from "./dpo-loss";
export { sftLoss, tokenLogProbs, tokenEntropy } from "./sft-loss";
export { toprLoss } from "./topr-loss";
export type { ToprLossInputs, ToprLossResult } from "./topr-loss";
export { raftSelect } from "./raft";
export type { RaftCandidate, RaftSelectConfig, RaftSelection } from "./raft";
export { METRIC_NAMES } from "./metric-names";
export type { MetricName } from "./metric-names";
// Training runs built on the objectives above.
export { grpoTrain, toprTrain } from "./grpo-train";
export type { PolicyTrainArgs, PolicyTrainRun, ReferencePolicy } from "./grpo-train";
export { resolveGrpoConfig, resolveOptimConfig, DEFAULT_GRPO_CONFIG, DEFAULT_OPTIM_CONFIG } from "./train-config";
export type { GrpoConfig, GrpoConfigInput, OptimConfig, RolloutSampling } from "./train-config";
export type { RunLoopOptions, RunResult, StepMetrics, StepResult } from "./run-loop";
export { rollout } from "./rollout";
export type { PromptRow, TextCodec, Rollout } from "./rollout";
export type { PackedBatch } from "./batch";
export { sftTrain, dpoTrain, resolveSftConfig, resolveDpoConfig, DEFAULT_SFT_CONFIG, DEFAULT_DPO_CONFIG } from "./supervised-train";
export type { SftConfig, DpoConfig, SftRow, DpoRow } from "./supervised-train";
export { raftTrain, resolveRaftConfig, DEFAULT_RAFT_CONFIG } from "./raft-train";
export type { RaftConfig, RaftConfigInput, RaftTrainArgs } from "./raft-train";
