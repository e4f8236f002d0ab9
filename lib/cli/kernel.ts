import type { Command } from "./command";
import { checkOutFolder, emit, UsageError } from "./command";
import { installKernelspec, uninstallKernelspec, kernelSpec, type KernelspecTarget } from "./kernelspec";

const kernel: Command = {
  name: "kernel",
  summary:
    'Install or uninstall the rftlab Jupyter kernelspec (name rftlab, display name "rftlab (TypeScript)"). ' +
    "Without a location option it goes to the user's Jupyter data dir.",
  positionals: ["install|uninstall"],
  flags: {
    user: { type: "boolean", help: "the per-user kernels folder (~/.local/share/jupyter/kernels); the default" },
    "sys-prefix": { type: "boolean", help: "Python's sys.prefix (asks /usr/bin/python3, or RFTLAB_PYTHON)" },
    prefix: { type: "string", help: "install under <dir>/share/jupyter/kernels" },
    json: { type: "boolean", help: "print JSON" },
  },
  async run(args) {
    const action = args.positionals[0];
    if (action !== "install" && action !== "uninstall") {
      throw new UsageError(`rftlab kernel: the action must be install or uninstall; got "${action}"`);
    }
    const target = parseTarget(args.flags);
    if (action === "install") {
      const dir = await installKernelspec(target);
      emit(Boolean(args.flags.json), { installed: dir, spec: kernelSpec() }, () => `Installed kernelspec rftlab in ${dir}`);
      return 0;
    }
    const dir = uninstallKernelspec(target);
    emit(Boolean(args.flags.json), { removed: dir ?? null }, () =>
      dir ? `Removed kernelspec rftlab from ${dir}` : "No rftlab kernelspec was installed there",
    );
    return 0;
  },
};
export default kernel;

function parseTarget(flags: Record<string, unknown>): KernelspecTarget {
  const chosen = [flags.user && "--user", flags["sys-prefix"] && "--sys-prefix", flags.prefix !== undefined && "--prefix"].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`rftlab kernel: choose one of --user, --sys-prefix, --prefix; got ${chosen.join(" and ")}`);
  if (flags.prefix !== undefined) {
    if (flags.prefix === "") throw new UsageError("rftlab kernel: --prefix needs a folder; got an empty string");
    checkOutFolder("kernel", "prefix", String(flags.prefix));
    return { kind: "prefix", dir: String(flags.prefix) };
  }
  if (flags["sys-prefix"]) return { kind: "sys-prefix", python: process.env.RFTLAB_PYTHON };
  return { kind: "user" };
}
