/**
 * Progress of long loops (training steps, sampling, evaluation). In a notebook: one live HTML bar,
 * updated in place (update_display_data). On a terminal: a bar redrawn with \r on stderr. In CI logs
 * (no TTY, CI set): a start line and an end line only. RFTLAB_QUIET=1: nothing.
 */
import { RftlabError } from "../errors";
import type { ProgressInfo, ProgressReporter } from "../base/progress-hook";
import { escapeHtml, uniqueDomId } from "./html";
import { getDisplaySink } from "./sink";

export type ProgressMode = "notebook" | "tty" | "log" | "silent";

export interface ProgressOptions {
  /** Number of ticks expected; omit when unknown (then no bar, only counts). */
  total?: number;
  label?: string;
  /** Default: notebook when a display sink is installed, silent with RFTLAB_QUIET=1, log in CI or without a TTY, else tty. */
  mode?: ProgressMode;
  /** Where tty/log output goes; default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Least time between two redraws; default 100 ms on a terminal, 250 ms in a notebook. */
  minIntervalMs?: number;
}

/** Extra text shown after the bar: a string or metrics ({reward: 0.41, kl: 0.02}). */
export type { ProgressInfo };

export type Progress = ProgressReporter;

function envTrue(v: string | undefined): boolean {
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** The mode `progress()` uses when none is given. */
export function progressMode(stream: { isTTY?: boolean } = process.stderr): ProgressMode {
  if (envTrue(process.env.RFTLAB_QUIET)) return "silent";
  if (getDisplaySink()) return "notebook";
  if (envTrue(process.env.CI) || !stream.isTTY) return "log";
  return "tty";
}

function infoText(info: ProgressInfo | undefined): string {
  if (info === undefined) return "";
  if (typeof info === "string") return info;
  return Object.entries(info)
    .map(([k, v]) => `${k}=${typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v}`)
    .join(" ");
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Starts a progress display; call `tick()` per unit of work and `done()` at the end. */
export function progress(opts: ProgressOptions = {}): Progress {
  const { total, label = "progress" } = opts;
  if (total !== undefined && !(Number.isInteger(total) && total >= 0)) {
    throw new RftlabError(`progress: total must be a non-negative integer or omitted; got ${total}`);
  }
  const stream = opts.stream ?? process.stderr;
  const mode = opts.mode ?? progressMode(stream);
  const minInterval = opts.minIntervalMs ?? (mode === "notebook" ? 250 : 100);
  const start = Date.now();
  const displayId = uniqueDomId("rftlab-progress");
  let count = 0;
  let last = -Infinity;
  let info: ProgressInfo | undefined;
  let finished = false;

  const stats = () => {
    const secs = (Date.now() - start) / 1000;
    const rate = secs > 0 ? count / secs : 0;
    const eta = total !== undefined && rate > 0 ? (total - count) / rate : NaN;
    const counts = total !== undefined ? `${count}/${total}` : `${count}`;
    const pct = total ? ` ${Math.floor((100 * count) / total)}%` : "";
    const timing = finished
      ? `${duration(secs)}`
      : `${rate.toFixed(rate < 10 ? 2 : 1)} it/s` + (Number.isNaN(eta) ? "" : ` eta ${duration(eta)}`);
    return { counts, pct, timing, extra: infoText(info) };
  };

  const textLine = (width: number) => {
    const s = stats();
    const bar = total && width > 0 ? `[${"#".repeat(Math.round((width * Math.min(count, total)) / total)).padEnd(width, ".")}] ` : "";
    return `${label} ${bar}${s.counts}${s.pct} ${s.timing}${s.extra ? "  " + s.extra : ""}`;
  };

  const publish = (update: boolean) => {
    const s = stats();
    const bar = total
      ? `<progress value="${Math.min(count, total)}" max="${total}" style="width:240px;vertical-align:middle"></progress> `
      : "";
    const html =
      `<div class="rftlab-progress" style="font-family:monospace">${escapeHtml(label)} ${bar}` +
      `${escapeHtml(s.counts + s.pct + " · " + s.timing)}${s.extra ? " · " + escapeHtml(s.extra) : ""}</div>`;
    getDisplaySink()?.display({ "text/html": html, "text/plain": textLine(30) }, { displayId, update });
  };

  const draw = (final: boolean) => {
    if (mode === "notebook") publish(true);
    else if (mode === "tty") stream.write(`\r${textLine(30)}\x1b[K${final ? "\n" : ""}`);
    else if (mode === "log" && final) stream.write(`${textLine(0)}\n`);
  };

  if (mode === "notebook") publish(false);
  else if (mode === "log") stream.write(`${label}: started${total !== undefined ? `, ${total} total` : ""}\n`);
  else if (mode === "tty") draw(false);

  return {
    tick(n = 1, i?: ProgressInfo) {
      if (finished) return;
      count += n;
      if (i !== undefined) info = i;
      const now = Date.now();
      if (now - last >= minInterval || (total !== undefined && count >= total)) {
        last = now;
        draw(false);
      }
    },
    done(i?: ProgressInfo) {
      if (finished) return;
      if (i !== undefined) info = i;
      finished = true;
      draw(true);
    },
  };
}
