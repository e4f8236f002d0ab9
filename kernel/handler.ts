// tslab's request handler with the replies stock tslab gets wrong: kernel_info (status, language_info)
// and is_complete ("invalid" for code that cannot parse). Inspection and completion are tslab's.
import { JupyterHandlerImpl } from "tslab/dist/jupyter";
import type { Executor } from "tslab/dist/executor";
import { isCompleteCode } from "tslab/dist/converter";
import { PROTOCOL_VERSION } from "./wire";
import { ts } from "./typescript";

export type IsCompleteStatus = "complete" | "incomplete" | "invalid";

export interface KernelInfoContent {
  status: "ok";
  protocol_version: string;
  implementation: string;
  implementation_version: string;
  language_info: {
    name: string;
    version: string;
    mimetype: string;
    file_extension: string;
    pygments_lexer: string;
    nbconvert_exporter: string;
    codemirror_mode: { mode: string; name: string; typescript: boolean };
  };
  banner: string;
  help_links: [{ text: string; url: string }];
}

export class RftlabHandler extends JupyterHandlerImpl {
  constructor(
    executor: Executor,
    private readonly version: string,
  ) {
    super(executor, false);
  }

  override handleKernel(): KernelInfoContent {
    return {
      status: "ok",
      protocol_version: PROTOCOL_VERSION,
      implementation: "rftlab",
      implementation_version: this.version,
      language_info: {
        name: "typescript",
        version: ts.version,
        mimetype: "text/typescript",
        file_extension: ".ts",
        pygments_lexer: "typescript",
        nbconvert_exporter: "script",
        // JupyterLab reads `mode`; classic Notebook needs the javascript mode with its typescript flag.
        codemirror_mode: { mode: "typescript", name: "javascript", typescript: true },
      },
      banner: `rftlab ${this.version} (TypeScript ${ts.version}, Node ${process.versions.node})`,
      help_links: [{ text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/" }],
    };
  }

  override handleIsComplete(req: { code: string }): { status: IsCompleteStatus; indent?: string } {
    return isComplete(req.code);
  }
}

/** What createSourceFile and the (internal) binder leave on a source file. */
type BoundSourceFile = import("@tslab/typescript-for-tslab").SourceFile & { parseDiagnostics?: unknown[]; bindDiagnostics?: unknown[] };
const bindSourceFile = (ts as unknown as { bindSourceFile(sf: BoundSourceFile, options: object): void }).bindSourceFile;

/**
 * incomplete: the parser wants more at the end (with an indent hint); invalid: it fails before the end,
 * or the binder rejects it the way the cell's compile will (cells are strict-mode modules: `let = 5;`).
 */
export function isComplete(code: string): { status: IsCompleteStatus; indent?: string } {
  const partial = isCompleteCode(code);
  if (!partial.completed) return { status: "incomplete", indent: partial.indent ?? "" };
  const sf: BoundSourceFile = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  if ((sf.parseDiagnostics ?? []).length > 0) return { status: "invalid" };
  bindSourceFile(sf, { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, alwaysStrict: true });
  return { status: (sf.bindDiagnostics ?? []).length > 0 ? "invalid" : "complete" };
}
