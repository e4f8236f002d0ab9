// Dense linear algebra in float64 for the weight analyses: SVD (blocked Householder bidiagonalisation with
// wasm SIMD kernels, implicit QR sweeps), numerical rank, randomized truncated SVD, principal angles.
export {
  svd,
  singularValues,
  truncatedSvd,
  numericalRank,
  defaultRankTol,
  lowRankReconstruct,
  principalAngleCosines,
  singularSpectrum,
  sliceSvd,
  EPS_FLOAT32,
  DEFAULT_TRUNCATED_SVD_CONFIG,
} from "./low-rank";
export type { Matrix, SvdResult, RankResult, TruncatedSvdConfig, SpectrumRow } from "./low-rank";
