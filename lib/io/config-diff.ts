/**
 * Where two JSON configs differ, as dotted paths with both values ("dataset.task: "add" → "mul""), at most
 * `max` of them: for errors that say exactly what changed between a saved run and the one resuming it.
 */
export function configDifferences(saved: unknown, now: unknown, max = 4): string[] {
  const out: string[] = [];
  const show = (v: unknown) => {
    const text = v === undefined ? "absent" : JSON.stringify(v);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  };
  const walk = (a: unknown, b: unknown, at: string): void => {
    if (out.length >= max || JSON.stringify(a) === JSON.stringify(b)) return;
    const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
    if (isObject(a) && isObject(b)) {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      for (const k of Object.keys({ ...x, ...y })) walk(x[k], y[k], at ? `${at}.${k}` : k);
    } else out.push(`${at || "(the whole config)"}: saved ${show(a)}, now ${show(b)}`);
  };
  walk(saved, now, "");
  return out;
}
