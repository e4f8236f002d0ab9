// Statistics for reproductions: intervals for accuracies, differences and seeds; the claims record.
export { normalQuantile, studentTQuantile, studentTCdf, incompleteBeta, logGamma } from "./distributions";
export { wilson, meanCI, mean, sampleSd, standardError, proportionSe } from "./interval";
export type { Interval, MaybeInterval } from "./interval";
export { bootstrapCI, pairedBootstrap, unpairedBootstrap, quantileSorted } from "./bootstrap";
export type { BootstrapOptions, Statistic } from "./bootstrap";
