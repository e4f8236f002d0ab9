// Confidence intervals for accuracy matrices: from evaluation sample counts (one run) or across seeds.
import { RftlabError } from "../errors";
import { createRng } from "../base/random";
import { wilson, meanCI, quantileSorted, type Interval, type MaybeInterval } from "../stats";
import { type AccuracyMatrix, checkAccuracyMatrix, forgettingMetrics, type ForgettingMetrics, taskForgetting } from "./metrics";

export type ForgettingMetricName = keyof ForgettingMetrics;
const METRICS: ForgettingMetricName[] = ["avgAcc", "bwt", "fm", "fwt"];

export interface CountIntervals {
  /** [T + 1][T] Wilson intervals of each cell, k = round(a·n). */
  cells: Interval[][];
  /** Parametric bootstrap percentile intervals; null where the metric is (T = 1). */
  metrics: Record<ForgettingMetricName, Interval | null>;
}

export interface CountIntervalOptions {
  level?: number;
  /** Bootstrap resamples B; default 2000. */
  reps?: number;
  /** Seed of the resampling stream; default 0. */
  seed?: number;
}

/**
 * Intervals of one run's matrix that comes with sample counts n (a = k/n): Wilson per cell; for AvgAcc, BWT,
 * FM, FWT a parametric bootstrap over samples — each cell's n outcomes redrawn as Bernoulli(a) independently,
 * the metric recomputed, percentile interval. Cells are resampled independently, which ignores that the same
 * prompts are scored after every stage; for differences such as BWT that pairing would only narrow the interval.
 */
export function countIntervals(m: AccuracyMatrix, opts: CountIntervalOptions = {}): CountIntervals {
  const { level = 0.95, reps = 2000, seed = 0 } = opts;
  checkAccuracyMatrix(m);
  const counts = m.counts;
  if (!counts)
    throw new RftlabError(
      `countIntervals: the matrix has no "counts"; give the number of evaluated examples per cell, or use seedIntervals over several runs`,
    );
  if (!(Number.isInteger(reps) && reps >= 10))
    throw new RftlabError(`countIntervals: reps must be an integer ≥ 10 (default 2000); got ${reps}`);
  const k = m.matrix.map((row, t) => row.map((a, i) => Math.round(a * counts[t][i])));
  const cells = k.map((row, t) => row.map((ki, i) => wilson(ki, counts[t][i], level)));
  const rng = createRng(seed);
  const point = forgettingMetrics(m);
  const draws = Object.fromEntries(METRICS.map((name) => [name, new Float64Array(reps)])) as Record<ForgettingMetricName, Float64Array>;
  for (let b = 0; b < reps; b++) {
    const matrix = k.map((row, t) =>
      row.map((ki, i) => {
        const n = counts[t][i];
        let hits = 0;
        for (let s = 0; s < n; s++) hits += rng.next() < ki / n ? 1 : 0;
        return hits / n;
      }),
    );
    const r = forgettingMetrics({ tasks: m.tasks, matrix });
    for (const name of METRICS) draws[name][b] = r[name] ?? NaN;
  }
  const alpha = 1 - level;
  const metrics = Object.fromEntries(
    METRICS.map((name) => {
      const est = point[name];
      if (est === null) return [name, null];
      const sorted = draws[name].sort();
      return [
        name,
        {
          estimate: est,
          lo: quantileSorted(sorted, alpha / 2),
          hi: quantileSorted(sorted, 1 - alpha / 2),
          level,
          method: "parametric-bootstrap",
        },
      ];
    }),
  ) as Record<ForgettingMetricName, Interval | null>;
  return { cells, metrics };
}

export interface SeedIntervals {
  tasks: string[];
  seeds: number;
  /** [T + 1][T] mean ± t-interval of each cell across seeds. */
  cells: MaybeInterval[][];
  /** Mean ± t-interval of each metric across seeds; null where the metric is (T = 1). */
  metrics: Record<ForgettingMetricName, MaybeInterval | null>;
  /** Per task: mean ± t-interval of final accuracy and of forgetting (null for the last task). */
  perTask: { task: string; final: MaybeInterval; forgetting: MaybeInterval | null }[];
}

/** Mean ± Student-t interval across runs (one matrix per seed, same tasks in the same order). */
export function seedIntervals(runs: AccuracyMatrix[], level = 0.95): SeedIntervals {
  if (runs.length === 0) throw new RftlabError("seedIntervals: runs is empty; pass one accuracy matrix per seed");
  runs.forEach((r, s) => checkAccuracyMatrix(r, `seedIntervals: runs[${s}]`));
  const tasks = runs[0].tasks;
  runs.forEach((r, s) => {
    if (r.tasks.join("\u0000") !== tasks.join("\u0000")) {
      throw new RftlabError(
        `seedIntervals: runs[${s}] has tasks ${JSON.stringify(r.tasks)} but runs[0] has ${JSON.stringify(tasks)}; pass matrices of the same task sequence`,
      );
    }
  });
  const per = runs.map((r) => ({ metrics: forgettingMetrics(r), perTask: taskForgetting(r) }));
  const across = (xs: (number | null)[]) => (xs[0] === null ? null : meanCI(xs as number[], level));
  return {
    tasks: [...tasks],
    seeds: runs.length,
    cells: runs[0].matrix.map((row, t) =>
      row.map((_, i) =>
        meanCI(
          runs.map((r) => r.matrix[t][i]),
          level,
        ),
      ),
    ),
    metrics: Object.fromEntries(METRICS.map((name) => [name, across(per.map((p) => p.metrics[name]))])) as Record<
      ForgettingMetricName,
      MaybeInterval | null
    >,
    perTask: tasks.map((task, i) => ({
      task,
      final: meanCI(
        per.map((p) => p.perTask[i].final),
        level,
      ),
      forgetting: across(per.map((p) => p.perTask[i].forgetting)),
    })),
  };
}
