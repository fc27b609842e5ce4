import { Command, CommandIO, EXIT, UsageError, processIO } from "./command";

/** Subcommands, loaded only when called. */
const commands: Record<string, () => Command> = {
  plan: () => require("./plan").command,
  verify: () => require("./verify").command,
  inject: () => require("./inject").command,
  drift: () => require("./drift").command,
  build: () => require("./build").command,
  migrate: () => require("./migrate").command,
  charts: () => require("./charts").command,
};

const summaries: Record<string, string> = {
  plan: "print the offline plan of a stack (its resources and outputs) under Pulumi mocks",
  verify: "prove the Flux install order of a GitOps repository (Helm CRDs before their users)",
  inject: "write the node IAM role into the namespace overlays, or check that they carry it",
  drift: "tell whether the cloud, the cluster and the repository still match",
  build: "print the objects a kustomize directory or Flux path applies, as the resolver builds them",
  migrate: "rewrite Flux and Kubernetes API versions the cluster no longer serves, and remove flux bootstrap's manifests",
  charts: "lock what each HelmRelease's chart installs (read from the chart), or show it",
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.keys(commands).map((n) => `  ${n.padEnd(width)}  ${summaries[n]}`);
  return [
    "usage: gitops-cluster <command> [options]",
    "",
    "commands:",
    ...lines,
    "",
    "Run `gitops-cluster <command> --help` for a command's options.",
    "",
  ].join("\n");
}

export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(help());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = commands[name];
  if (!load) {
    io.stderr(`gitops-cluster: unknown command "${name}"\n\n${help()}`);
    return EXIT.usage;
  }
  const command = load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(command.usage.endsWith("\n") ? command.usage : `${command.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`gitops-cluster ${name}: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
