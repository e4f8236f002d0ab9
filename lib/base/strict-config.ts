// The one strict check every config and options object goes through before its resolver fills defaults:
// a typo (`learning_rat`, `max_new_tokens`) must fail, not train with the default. The template is the
// config's defaults: each field's default value gives its type, nested plain objects are checked field by field.
import { RftlabError, editDistance } from "../errors";

const NULLABLE = Symbol("nullable");
const ANY = Symbol("any");

/** A template field that may also be null (e.g. `minReward: null` = no floor); `example` gives the type otherwise. */
export function nullable(example: unknown): { [NULLABLE]: unknown } {
  return { [NULLABLE]: example };
}

/** A template field of any type, checked by its resolver (e.g. per-pair length tensors). */
export const anyValue: { [ANY]: true } = { [ANY]: true };

/** `template` without `keys`: the fields a nested config leaves to its parent (e.g. AdamW's lr). */
export function without<T extends object, K extends keyof T>(template: T, ...keys: K[]): Omit<T, K> {
  return Object.fromEntries(Object.entries(template).filter(([k]) => !keys.includes(k as K))) as Omit<T, K>;
}

/** Hugging Face / TRL spellings of rftlab fields whose names differ beyond case and underscores. */
const ALIASES: [string, string][] = [
  ["learningrate", "lr"],
  ["learningrate", "peakLr"],
  ["lr", "peakLr"],
  ["lrschedulertype", "decay"],
  ["epsilon", "epsilonLow"],
  ["hiddensize", "dModel"],
  ["nembd", "dModel"],
  ["numhiddenlayers", "nLayers"],
  ["nlayer", "nLayers"],
  ["numattentionheads", "nHeads"],
  ["nhead", "nHeads"],
  ["intermediatesize", "dFF"],
];

const normal = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, "");

/**
 * The field a misspelt key most likely meant: case and underscores ignored, known HF/TRL aliases mapped,
 * and fields of nested sections offered with their path (DPO's `bta` → "dpo.beta").
 */
export function suggestField(key: string, template: object): string {
  const fields = Object.keys(template);
  const k = normal(key);
  let best = fields[0];
  let bestD = Infinity;
  const nested = Object.entries(template).flatMap(([p, t]) =>
    isPlainObject(t) ? Object.keys(t).map((c): [string, string] => [normal(c), `${p}.${c}`]) : [],
  );
  const candidates: [string, string][] = [
    ...fields.map((f): [string, string] => [normal(f), f]),
    ...ALIASES.filter(([, f]) => fields.includes(f)),
    ...nested,
  ];
  for (const [n, f] of candidates) {
    const d = editDistance(k, n);
    if (d < bestD) [best, bestD] = [f, d];
  }
  return best;
}

/** An object literal or JSON object; its prototype is tested by shape so that another realm's (a vm context's) also counts. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + "..." : s;
}

function checkField(path: string, value: unknown, template: unknown): void {
  if (isPlainObject(template) && ANY in template) return;
  if (isPlainObject(template) && NULLABLE in template) {
    if (value !== null) checkField(path, value, template[NULLABLE]);
    return;
  }
  if (value === null) {
    throw new RftlabError(
      `${path} must not be null; give ${kindOf(template)} like ${describe(template)} or omit the field for its default`,
    );
  }
  if (isPlainObject(template)) {
    checkConfig(path, value, template);
    return;
  }
  const ok = Array.isArray(template) ? Array.isArray(value) : typeof value === typeof template && !Array.isArray(value);
  if (!ok)
    throw new RftlabError(`${path} must be ${kindOf(template)} like ${describe(template)}; got ${describe(value)} (${kindOf(value)})`);
}

/**
 * Rejects a config that is not an object, holds a field the template lacks (naming the closest field),
 * or a field of the wrong type or null where the template does not allow it. Undefined fields count as
 * absent (options objects pass `undefined` for "default"). Ranges and cross-field rules stay in the resolvers.
 */
export function checkConfig(name: string, value: unknown, template: object): void {
  if (!isPlainObject(value)) throw new RftlabError(`${name} must be an object of config fields; got ${describe(value)} (${kindOf(value)})`);
  const fields = Object.keys(template);
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (!fields.includes(k)) {
      throw new RftlabError(
        `${name}.${k} is not a config field (did you mean "${suggestField(k, template)}"?); fields: ${fields.join(", ")}`,
      );
    }
    checkField(`${name}.${k}`, v, (template as Record<string, unknown>)[k]);
  }
}
