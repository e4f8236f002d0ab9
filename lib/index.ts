// rftlab's one public entry point: everything a notebook cell or script uses comes from here.
export * from "./errors";
export * from "./tensor";
export * from "./io";
export * from "./model";
export * from "./tasks";
export * from "./sampling";
export * from "./rewards";
export * from "./rl";
export * from "./peft";
export * from "./linalg";
export * from "./analysis";
export * from "./forgetting";
export * from "./display";
