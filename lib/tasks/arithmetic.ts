import type { Rng } from "../base/random";
import type { TaskProblem, TaskSpec } from "./task";
import { requireInt } from "./options";

/** A uniformly random integer with exactly `digits` digits (0–9 when digits = 1). */
function randomDigits(rng: Rng, digits: number): number {
  return digits === 1 ? rng.int(0, 9) : rng.int(10 ** (digits - 1), 10 ** digits - 1);
}

/** Column addition right to left: `8+7=15 carry 1; 5+6+1=12 carry 1; carry 1`. */
export function additionWork(a: number, b: number): string {
  const da = String(a).split("").reverse().map(Number);
  const db = String(b).split("").reverse().map(Number);
  const steps: string[] = [];
  let carry = 0;
  for (let i = 0; i < Math.max(da.length, db.length); i++) {
    const x = da[i] ?? 0;
    const y = db[i] ?? 0;
    const s = x + y + carry;
    steps.push(`${x}+${y}${carry ? "+1" : ""}=${s}${s >= 10 ? " carry 1" : ""}`);
    carry = s >= 10 ? 1 : 0;
  }
  if (carry) steps.push("carry 1");
  return steps.join("; ");
}

/** Long multiplication by one digit, right to left: `7*8=56 carry 5; 4*8+5=37 carry 3; carry 3`. */
export function multiplicationWork(a: number, d: number): string {
  const da = String(a).split("").reverse().map(Number);
  const steps: string[] = [];
  let carry = 0;
  for (const x of da) {
    const p = x * d + carry;
    const next = Math.floor(p / 10);
    steps.push(`${x}*${d}${carry ? `+${carry}` : ""}=${p}${next ? ` carry ${next}` : ""}`);
    carry = next;
  }
  if (carry) steps.push(`carry ${carry}`);
  return steps.join("; ");
}

export const addTask: TaskSpec = {
  name: "add",
  summary: "a + b with two `digits`-digit operands",
  answerKind: "number",
  defaults: { digits: 3 },
  validate(o) {
    requireInt("add", "digits", o.digits, 1, 15);
  },
  sample(rng, o): TaskProblem {
    const a = randomDigits(rng, o.digits);
    const b = randomDigits(rng, o.digits);
    const s = String(a + b);
    return {
      question: `What is ${a} + ${b}?`,
      answer: s,
      work: additionWork(a, b),
      natural: `${a} plus ${b} equals ${s}.`,
      code: { input: `${a} + ${b}`, output: s },
    };
  },
};

export const mulTask: TaskSpec = {
  name: "mul",
  summary: "a `digits`-digit number times one digit 2–9",
  answerKind: "number",
  defaults: { digits: 2 },
  validate(o) {
    requireInt("mul", "digits", o.digits, 1, 15);
  },
  sample(rng, o): TaskProblem {
    const a = randomDigits(rng, o.digits);
    const d = rng.int(2, 9);
    const p = String(a * d);
    return {
      question: `What is ${a} * ${d}?`,
      answer: p,
      work: multiplicationWork(a, d),
      natural: `${a} times ${d} equals ${p}.`,
      code: { input: `${a} * ${d}`, output: p },
    };
  },
};

function signed(b: number): string {
  return b < 0 ? `- ${-b}` : `+ ${b}`;
}

export const linearTask: TaskSpec = {
  name: "linear",
  summary: "solve a*x + b = c for an integer x in [0, maxX], a in [2, maxCoef]",
  answerKind: "number",
  defaults: { maxCoef: 9, maxX: 9 },
  validate(o) {
    requireInt("linear", "maxCoef", o.maxCoef, 2, 1000);
    requireInt("linear", "maxX", o.maxX, 1, 1000);
  },
  sample(rng, o): TaskProblem {
    const a = rng.int(2, o.maxCoef);
    const x = rng.int(0, o.maxX);
    let b = rng.int(-20, 20);
    if (b === 0) b = 1;
    const c = a * x + b;
    return {
      question: `Solve for x: ${a}x ${signed(b)} = ${c}.`,
      answer: String(x),
      work: `${a}x = ${c} ${signed(-b)} = ${c - b}; x = ${c - b} / ${a} = ${x}`,
      natural: `${b < 0 ? `Adding ${-b} to` : `Subtracting ${b} from`} both sides and dividing by ${a} gives x = ${x}.`,
      code: { input: `(${c} - ${b < 0 ? `(${b})` : b}) // ${a}`, output: String(x) },
    };
  },
};
