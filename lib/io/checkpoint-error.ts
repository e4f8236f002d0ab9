import { RftlabError } from "../errors";

/**
 * A checkpoint or JSON file that cannot be read as what it claims to be. `file` is the offending file,
 * `problem` what is wrong with it; the message adds the fix when one is known.
 */
export class CheckpointError extends RftlabError {
  override name = "CheckpointError";
  readonly file: string;
  readonly problem: string;
  constructor(file: string, problem: string, fix?: string) {
    super(`${file}: ${problem}${fix ? ` (${fix})` : ""}`);
    this.file = file;
    this.problem = problem;
  }
}
