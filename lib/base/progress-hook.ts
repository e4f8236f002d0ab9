// Progress of long library calls in areas that may not import lib/display (model: pretraining, the zoo;
// evaluation): they report through this hook, which lib/display fills with its progress bar when loaded.

export type ProgressInfo = string | Record<string, number | string>;

export interface ProgressReporter {
  tick(n?: number, info?: ProgressInfo): void;
  done(info?: ProgressInfo): void;
}

export type ProgressFactory = (opts: { total?: number; label: string }) => ProgressReporter;

const silent: ProgressReporter = { tick() {}, done() {} };
let factory: ProgressFactory | undefined;

/** Installs how progress is shown (lib/display does, with `progress`). */
export function setProgressFactory(f: ProgressFactory | undefined): void {
  factory = f;
}

/** Starts reporting progress; silent when nothing is installed or when `enabled` is false. */
export function startProgress(opts: { total?: number; label: string }, enabled = true): ProgressReporter {
  return enabled && factory ? factory(opts) : silent;
}
