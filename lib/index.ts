// rftlab's one public entry point: everything a notebook cell or script uses comes from here.
export * from "./errors";
export * from "./tensor";
