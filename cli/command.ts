import { ParseArgsConfig, parseArgs } from "util";

/**
 * The contract every `gitops-cluster` subcommand implements. Subcommands live one per file
 * (`cli/plan.ts`, `cli/verify.ts`, `cli/inject.ts`, `cli/drift.ts`) and are loaded lazily by
 * `cli/main.ts`, so `verify` never pays for loading the Pulumi SDK.
 */
export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Directory relative paths are resolved against. */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  /** One line for `gitops-cluster --help`. */
  summary: string;
  /** Full usage text, printed by `gitops-cluster <name> --help` and on a usage error. */
  usage: string;
  /** Resolves to the process exit code. Bad usage or unreadable input: throw UsageError (exit 2). */
  run(argv: string[], io: CommandIO): Promise<number>;
}

/** Bad usage or unreadable input: the message is printed (no stack) and the exit code is 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT = { ok: 0, findings: 1, usage: 2, internal: 3 } as const;

/** Standard IO bound to the process. */
export function processIO(): CommandIO {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
  };
}

/**
 * A subcommand's flags: `util.parseArgs`, strict, no positionals. A bad flag is a UsageError whose
 * message is parseArgs' own first line (it names the flag, e.g. "Unknown option '--stak'") and the usage.
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split("\n")[0]}\n\n${usage}`);
  }
}
