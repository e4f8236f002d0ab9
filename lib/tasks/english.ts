import type { Rng } from "../base/random";

// Small closed-world English: true facts from fixed tables, and short stories from a grammar.
// Vocabulary stays small on purpose so a ~100k-parameter model can learn it in minutes.

const CAPITALS: [string, string][] = [
  ["France", "Paris"],
  ["Spain", "Madrid"],
  ["Italy", "Rome"],
  ["Germany", "Berlin"],
  ["Japan", "Tokyo"],
  ["Egypt", "Cairo"],
  ["Kenya", "Nairobi"],
  ["Peru", "Lima"],
  ["Canada", "Ottawa"],
  ["Norway", "Oslo"],
  ["Greece", "Athens"],
  ["Ireland", "Dublin"],
  ["Poland", "Warsaw"],
  ["Chile", "Santiago"],
  ["India", "New Delhi"],
  ["China", "Beijing"],
  ["Russia", "Moscow"],
  ["Cuba", "Havana"],
  ["Portugal", "Lisbon"],
  ["Austria", "Vienna"],
];
const ANIMALS: { name: string; sound: string; legs: number; home: string; food: string }[] = [
  { name: "cow", sound: "moo", legs: 4, home: "farm", food: "grass" },
  { name: "dog", sound: "woof", legs: 4, home: "house", food: "meat" },
  { name: "cat", sound: "meow", legs: 4, home: "house", food: "fish" },
  { name: "duck", sound: "quack", legs: 2, home: "pond", food: "seeds" },
  { name: "sheep", sound: "baa", legs: 4, home: "farm", food: "grass" },
  { name: "owl", sound: "hoot", legs: 2, home: "tree", food: "mice" },
  { name: "frog", sound: "croak", legs: 4, home: "pond", food: "flies" },
  { name: "horse", sound: "neigh", legs: 4, home: "stable", food: "hay" },
  { name: "hen", sound: "cluck", legs: 2, home: "farm", food: "corn" },
  { name: "lion", sound: "roar", legs: 4, home: "savanna", food: "meat" },
];
const COLORS: [string, string][] = [
  ["the sky", "blue"],
  ["grass", "green"],
  ["snow", "white"],
  ["coal", "black"],
  ["a banana", "yellow"],
  ["a tomato", "red"],
  ["an orange", "orange"],
  ["a plum", "purple"],
  ["the sun", "yellow"],
  ["milk", "white"],
];
const OPPOSITES: [string, string][] = [
  ["hot", "cold"],
  ["big", "small"],
  ["fast", "slow"],
  ["up", "down"],
  ["day", "night"],
  ["happy", "sad"],
  ["old", "new"],
  ["open", "closed"],
  ["wet", "dry"],
  ["light", "dark"],
  ["full", "empty"],
  ["early", "late"],
];
const NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];
const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** One sentence of general knowledge. */
export function factSentence(rng: Rng): string {
  switch (rng.int(0, 9)) {
    case 0: {
      const [c, k] = rng.choice(CAPITALS);
      return rng.choice([`The capital of ${c} is ${k}.`, `${k} is the capital of ${c}.`]);
    }
    case 1: {
      const a = rng.choice(ANIMALS);
      return rng.choice([`A ${a.name} says ${a.sound}.`, `The ${a.name} goes ${a.sound}.`]);
    }
    case 2: {
      const a = rng.choice(ANIMALS);
      return `A ${a.name} has ${NUMBER_WORDS[a.legs]} legs.`;
    }
    case 3: {
      const a = rng.choice(ANIMALS);
      return rng
        .choice([`A ${a.name} lives on a ${a.home}.`, `A ${a.name} likes to eat ${a.food}.`])
        .replace(/on a (house|pond|tree|stable|savanna)/, "in a $1");
    }
    case 4: {
      const [thing, color] = rng.choice(COLORS);
      const s = `${thing} is ${color}.`;
      return s[0].toUpperCase() + s.slice(1);
    }
    case 5: {
      const [a, b] = rng.choice(OPPOSITES);
      return rng.int(0, 1) ? `The opposite of ${a} is ${b}.` : `The opposite of ${b} is ${a}.`;
    }
    case 6: {
      const n = rng.int(0, 11);
      const w = NUMBER_WORDS[n];
      return rng.choice([
        `${cap(NUMBER_WORDS[n + 1])} comes after ${w}.`,
        `${cap(w)} is ${n % 2 ? "odd" : "even"}.`,
        `The number ${w} is written ${n}.`,
      ]);
    }
    case 7: {
      const d = rng.int(0, 6);
      return `The day after ${DAYS[d]} is ${DAYS[(d + 1) % 7]}.`;
    }
    case 8:
      return rng.choice([
        "Water freezes when it is cold.",
        "Ice melts when it is warm.",
        "Fish swim in water.",
        "Birds can fly.",
        "Plants need water and light.",
        "The moon shines at night.",
        "Rain falls from clouds.",
        "A week has seven days.",
        "A year has twelve months.",
        "An hour has sixty minutes.",
      ]);
    default: {
      const a = rng.int(0, 5);
      const b = rng.int(0, 4);
      return `${cap(NUMBER_WORDS[a])} and ${NUMBER_WORDS[b]} make ${NUMBER_WORDS[a + b]}.`;
    }
  }
}

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

const NAMES: [string, "he" | "she"][] = [
  ["Tom", "he"],
  ["Lily", "she"],
  ["Ben", "he"],
  ["Mia", "she"],
  ["Sam", "he"],
  ["Anna", "she"],
  ["Max", "he"],
  ["Sue", "she"],
  ["Leo", "he"],
  ["Zoe", "she"],
  ["Jack", "he"],
  ["Emma", "she"],
];
const ADJECTIVES = ["little", "happy", "brave", "kind", "curious", "small", "clever", "shy", "funny", "sleepy"];
const PLACES = ["the park", "the forest", "the beach", "a big garden", "the town", "the hill", "the river", "school"];
const THINGS = ["ball", "kite", "box", "red hat", "toy car", "shiny stone", "book", "blue cup", "map", "drum"];
const FEELINGS = ["happy", "sad", "surprised", "excited", "scared", "proud", "tired", "glad"];
const WEATHER = ["sunny", "rainy", "windy", "cold", "warm", "cloudy"];

/** A short story (4–7 sentences) from a small grammar. */
export function story(rng: Rng): string {
  const [name, pron] = rng.choice(NAMES);
  let [friend, fpron] = rng.choice(NAMES);
  if (friend === name) [friend, fpron] = NAMES[(NAMES.findIndex((n) => n[0] === name) + 1) % NAMES.length];
  const his = pron === "he" ? "his" : "her";
  const animal = rng.choice(ANIMALS);
  const thing = rng.choice(THINGS);
  const place = rng.choice(PLACES);
  const s: string[] = [];
  s.push(
    rng.choice([
      `Once upon a time, there was a ${rng.choice(ADJECTIVES)} ${rng.int(0, 1) ? "child" : animal.name} named ${name}.`,
      `One ${rng.choice(WEATHER)} day, ${name} went to ${place}.`,
      `${name} was a ${rng.choice(ADJECTIVES)} ${pron === "he" ? "boy" : "girl"} who loved ${place.replace(/^(the|a|an) /, "the ")}.`,
    ]),
  );
  s.push(
    rng.choice([
      `${cap(pron)} found a ${thing} under a tree.`,
      `At ${place}, ${pron} saw a ${animal.name} that said ${animal.sound}.`,
      `${cap(pron)} wanted to play with ${his} ${thing}.`,
    ]),
  );
  s.push(
    rng.choice([
      `${name} felt ${rng.choice(FEELINGS)}.`,
      `Then ${friend} came and said, "Can I play too?"`,
      `The ${animal.name} was hungry, so ${name} gave it some ${animal.food}.`,
    ]),
  );
  if (rng.int(0, 1)) {
    s.push(
      rng.choice([
        `${name} and ${friend} shared the ${thing}.`,
        `${friend} helped ${name} look for the lost ${thing}.`,
        `It started to rain, and ${pron} ran home.`,
      ]),
    );
  }
  if (rng.int(0, 1)) s.push(`${cap(fpron)} smiled at ${name}.`);
  s.push(
    rng.choice([
      `They played together until the sun went down.`,
      `From that day on, ${name} and ${friend} were good friends.`,
      `At night, ${name} went to bed and dreamed about the ${thing}.`,
      `${name} was ${rng.choice(FEELINGS)}, and it was a good day.`,
    ]),
  );
  return s.join(" ");
}

/** A paragraph of 3–6 facts. */
export function factParagraph(rng: Rng): string {
  return Array.from({ length: rng.int(3, 6) }, () => factSentence(rng)).join(" ");
}
