// Reward functions (spec/algorithms.md "Rewards"). Pure JS: this area never imports tfjs.
export type { RewardContext, RewardFn, WeightedReward } from "./types";
export { scoreRewards, rewardMetricKey } from "./score";
export type { RewardScores } from "./score";
export { extractAnswer, answerTagContent, parseNumber, lastNumber, answersMatch, answerAccuracyReward } from "./answer";
export type { AnswerAccuracyOptions } from "./answer";
export { thinkAnswerFormat, tagCount, formatReward, tagCountReward } from "./format";
export { tokenize13a, corpusBleu, bleuTarget, bleuReward, BLEU_MAX_ORDER } from "./bleu";
export type { BleuStats, BleuRewardOptions } from "./bleu";
export {
  parseToolCalls,
  multisetJaccard,
  toolCallCorrectness,
  toolCallFormat,
  toolCallReward,
  ToolCallParseError,
} from "./tool-call";
export type { ToolCall, ToolCallRewardOptions } from "./tool-call";
export { overlongPenalty, overlongPenaltyReward } from "./length";
export type { OverlongPenaltyOptions } from "./length";
export { taskCorrect, taskReward } from "./task-reward";
export { REWARDS, getReward, rewardNames } from "./registry";
export type { RewardSpec, RewardContextOptions } from "./registry";
