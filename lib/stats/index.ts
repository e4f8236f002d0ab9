// Statistics for reproductions: intervals for accuracies, differences and seeds; the claims record.
export { normalQuantile, studentTQuantile, studentTCdf, incompleteBeta, logGamma } from "./distributions";
export { wilson, meanCI, mean, sampleSd, standardError, proportionSe, pairedGain } from "./interval";
export type { Interval, MaybeInterval } from "./interval";
export { bootstrapCI, pairedBootstrap, unpairedBootstrap, quantileSorted } from "./bootstrap";
export type { BootstrapOptions, Statistic } from "./bootstrap";
export { interpolateAt } from "./interpolate";
export { Claims, intervalVerdict, gainAboveSe, requirePrecondition, PreconditionError, VERDICTS, CLAIMS_MIME } from "./claims";
export type { Claim, Verdict, Measurement, MeasuredValue, ClaimedSide, PreconditionCheck } from "./claims";
