import fs from "node:fs";
import { RftlabError } from "../errors";

let cached: string | undefined;

/**
 * plotly.js (the browser bundle, ~4.8 MB) as text, read once. It is only ever run in a browser:
 * requiring it in Node fails (`self is not defined`), so rftlab builds plotly specs as plain JSON.
 */
export function plotlyJsSource(): string {
  if (cached !== undefined) return cached;
  let file: string;
  try {
    file = require.resolve("plotly.js-dist-min/plotly.min.js");
  } catch {
    throw new RftlabError("figures: the package plotly.js-dist-min is not installed; run `npm install` in the rftlab folder");
  }
  cached = fs.readFileSync(file, "utf8");
  return cached;
}
