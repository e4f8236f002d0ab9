import type { TaskProblem, TaskSpec } from "./task";
import { requireInt } from "./options";
import type { Rng } from "../base/random";

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

function randomWord(rng: Rng, length: number, alphabet: string): string {
  return Array.from({ length }, () => rng.choice(alphabet.split(""))).join("");
}

export const countTask: TaskSpec = {
  name: "count",
  summary: "count one letter in a `length`-letter string over the first `alphabet` letters",
  answerKind: "number",
  defaults: { length: 8, alphabet: 4 },
  validate(o) {
    requireInt("count", "length", o.length, 1, 100);
    requireInt("count", "alphabet", o.alphabet, 2, 26);
  },
  sample(rng, o): TaskProblem {
    const alphabet = LETTERS.slice(0, o.alphabet);
    const word = randomWord(rng, o.length, alphabet);
    const letter = rng.choice(alphabet.split(""));
    let n = 0;
    const running = word.split("").map((ch) => `${ch}${ch === letter ? ++n : n}`);
    const c = String(n);
    return {
      question: `How many times does the letter ${letter} appear in ${word}?`,
      answer: c,
      work: running.join(" "),
      natural: `The letter ${letter} appears ${c} times.`,
      code: { input: `"${word}".count("${letter}")`, output: c },
    };
  },
};

export const reverseTask: TaskSpec = {
  name: "reverse",
  summary: "reverse a random `length`-letter string",
  answerKind: "word",
  defaults: { length: 5 },
  validate(o) {
    requireInt("reverse", "length", o.length, 1, 100);
  },
  sample(rng, o): TaskProblem {
    const word = randomWord(rng, o.length, LETTERS);
    const r = word.split("").reverse().join("");
    return {
      question: `Reverse the word ${word}.`,
      answer: r,
      work: `letters ${word.split("").join(" ")}; backwards ${r.split("").join(" ")}`,
      natural: `Written backwards, ${word} is ${r}.`,
      code: { input: `"${word}"[::-1]`, output: `'${r}'` },
    };
  },
};
