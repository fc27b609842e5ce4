/**
 * `npm run fuzz`: a seeded mutation fuzzer for the `gitops-cluster` commands (issue 12).
 *
 * Each mutant is a copy of a seed repository (examples/gitops, the ordering and overlay
 * fixtures, or a stack project for `plan`) with one to three mutations: truncation, tabs,
 * duplicate keys, BOM/CRLF, non-UTF-8 bytes, binary files, wrong types, empty documents,
 * references outside the root, symlink loops and links out, undefined/self-containing/exploding
 * aliases, anchors shared and merged, huge lists, deep nesting, over-long paths, a huge .sourceignore line, odd arguments.
 * Commands: verify, inject (diff, --check, --write), plan, and build / migrate once cli/main.ts
 * lists them (their flags are read from their --help).
 *
 * Every run must: exit 0, 1 or 2; print no stack trace; throw nothing out of main(); read and
 * write nothing outside the mutant's directory (fuzz/runner.ts records every fs call; the package's
 * own code and node_modules/.cache are allowed); stay under the memory and time budgets; and a
 * --write run must leave no temp file or journal and change only lines holding the key it writes.
 * Some `inject --write` mutants are also run as a separate process killed at a random moment:
 * after `recoverWriteSet`, every file must be all old or all new, with no temp file left.
 *
 *   npm run fuzz -- [--seed 1] [--mutants 400] [--seconds 600] [--only N] [--keep] [--strace N]
 *
 * Exit 1 when any mutant broke the contract; the summary names each one by seed and index, and
 * `--only N` replays it.
 */
import { ChildProcess, fork, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import type { Job, JobResult } from "./runner";
import { seededRandom } from "./random";
import { chartServer, prepareChartMutant, writeChartSeed } from "./charts";

const PACKAGE_DIR = path.join(__dirname, "..");
const JOB_TIMEOUT_MS = 30_000;
const MEMORY_LIMIT_MIB = 1024;
/** The library's own budget, well under the fuzzer's timeout, so a slow input meets it first. */
const JOB_ENV = { GITOPS_CLUSTER_TIME_BUDGET: "20", GITOPS_CLUSTER_SIZE_BUDGET: "256" };
const ROLE_ARN = "arn:aws:iam::123456789012:role/eks/development-node-role";

// ------------------------------------------------------------------------------------------ rng


class Random {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// ------------------------------------------------------------------------------------------ seeds

type CommandName = "verify" | "inject" | "plan" | "build" | "migrate" | "charts";

interface Seed {
  command: CommandName;
  /** Directory copied for each mutant. */
  source: string;
  /** Arguments, with {repo} for the mutant's directory. */
  argv: string[];
  /** `inject --write`: the key whose lines may change. */
  writesKey?: string;
  /** Chart seeds (fuzz/charts.ts): package the chart after the mutations, serve it, keep the cache in the mutant. */
  chart?: boolean;
}

/** The subcommands cli/main.ts lists: read from its source, so commands merged later are fuzzed too. */
function listedCommands(): Set<string> {
  const main = fs.readFileSync(path.join(PACKAGE_DIR, "cli", "main.ts"), "utf8");
  const block = /const commands[^{]*\{([\s\S]*?)\n\};/.exec(main)?.[1] ?? "";
  return new Set([...block.matchAll(/^\s*"?([a-z-]+)"?\s*:/gm)].map((m) => m[1]));
}

/** Flags of a subcommand, from its usage text. */
function usageOf(command: string): string {
  const result = spawnSync(process.execPath, [path.join(PACKAGE_DIR, "bin", "gitops-cluster.js"), command, "--help"], { encoding: "utf8" });
  return result.stdout;
}

/** The chart seed's directory (fuzz/charts.ts), written once per campaign and removed at its end. */
const CHART_SEED_DIR = path.join(os.tmpdir(), `gitops-cluster-fuzz-chart-seed-${process.pid}`);

function seeds(): Seed[] {
  const listed = listedCommands();
  const out: Seed[] = [];
  const example = path.join(PACKAGE_DIR, "examples", "gitops");
  const ordering = path.join(PACKAGE_DIR, "test", "fixtures", "ordering");
  const overlays = path.join(PACKAGE_DIR, "test", "fixtures", "overlays");
  const clusters: { source: string; cluster: string }[] = [
    { source: example, cluster: "clusters/development" },
    { source: example, cluster: "clusters/production" },
  ];
  for (const dir of fs.existsSync(ordering) ? fs.readdirSync(ordering) : []) {
    for (const variant of ["", "broken", "fixed"]) {
      const source = path.join(ordering, dir, variant);
      const clustersDir = path.join(source, "clusters");
      if (!fs.existsSync(clustersDir)) continue;
      for (const c of fs.readdirSync(clustersDir)) clusters.push({ source, cluster: `clusters/${c}` });
    }
  }
  // --offline: a mutant never reaches the network (the charts seeds below fetch from loopback only).
  for (const { source, cluster } of clusters) out.push({ command: "verify", source, argv: ["verify", "--repo", "{repo}", "--cluster", cluster, "--offline"] });
  if (listed.has("charts")) {
    const chartSeed = CHART_SEED_DIR;
    fs.rmSync(chartSeed, { recursive: true, force: true });
    writeChartSeed(chartSeed);
    out.push({ command: "charts", source: chartSeed, argv: ["charts", "show", "--archive", "{repo}/chart.tgz"], chart: true });
    out.push({ command: "charts", source: chartSeed, argv: ["charts", "lock", "--repo", "{repo}", "--cluster", "clusters/dev"], chart: true });
  }

  const injectSources = [example, ...fs.readdirSync(overlays).map((d) => path.join(overlays, d, "input")).filter((d) => fs.existsSync(d))];
  for (const source of injectSources) {
    const base = ["inject", "--repo", "{repo}", "--env", "development"];
    out.push({ command: "inject", source, argv: [...base, "--role-arn", ROLE_ARN] });
    out.push({ command: "inject", source, argv: [...base, "--role-arn", ROLE_ARN, "--check"] });
    out.push({ command: "inject", source, argv: [...base, "--role-arn", ROLE_ARN, "--write"], writesKey: "iam_role" });
    out.push({ command: "inject", source, argv: [...base, "--migrate", "--write"], writesKey: "iam_role" });
  }

  // Stack files: a project directory (Pulumi.yaml and the two stack files) per mutant.
  out.push({ command: "plan", source: "<project>", argv: ["plan", "--stack", "development"] });
  out.push({ command: "plan", source: "<project>", argv: ["plan", "--stack", "production", "--format", "json"] });

  if (listed.has("migrate")) {
    const usage = usageOf("migrate");
    for (const { source, cluster } of clusters.slice(0, 2)) {
      const argv = ["migrate", "--repo", "{repo}", "--cluster", cluster];
      out.push({ command: "migrate", source, argv });
      if (/--write\b/.test(usage)) out.push({ command: "migrate", source, argv: [...argv, "--write"] });
    }
  }
  if (listed.has("build")) {
    // A directory, the root Kustomization, and the first Kustomization the cluster directory names.
    for (const { source, cluster } of clusters.slice(0, 2)) {
      out.push({ command: "build", source, argv: ["build", "--repo", "{repo}", "--path", cluster] });
      out.push({ command: "build", source, argv: ["build", "--repo", "{repo}", "--cluster", cluster, "--kustomization", "flux-system/flux-system"] });
      const child = fs.readdirSync(path.join(source, cluster)).map((f) => fs.readFileSync(path.join(source, cluster, f), "utf8"))
        .map((t) => /kind: Kustomization\s*\nmetadata:\s*\n\s+name: ([a-z0-9-]+)/.exec(t)?.[1]).find((n) => n !== undefined);
      if (child !== undefined) out.push({ command: "build", source, argv: ["build", "--repo", "{repo}", "--cluster", cluster, "--kustomization", `flux-system/${child}`] });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------ mutations

function filesUnder(root: string, pattern: RegExp): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && pattern.test(e.name)) out.push(full);
    }
  };
  walk(root);
  return out.sort();
}

function dirsUnder(root: string): string[] {
  const out = [root];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        out.push(path.join(dir, e.name));
        walk(path.join(dir, e.name));
      }
    }
  };
  walk(root);
  return out.sort();
}

type Mutation = (dir: string, r: Random) => string;

function onFile(edit: (text: Buffer, r: Random) => Buffer): (dir: string, r: Random) => string {
  return (dir, r) => {
    const files = filesUnder(dir, /\.ya?ml$|^\.sourceignore$/);
    if (files.length === 0) return "no file";
    const file = r.pick(files);
    fs.writeFileSync(file, edit(fs.readFileSync(file), r));
    return path.relative(dir, file);
  };
}

function lines(text: Buffer): string[] {
  return text.toString("latin1").split("\n");
}

function fromLines(ls: string[]): Buffer {
  return Buffer.from(ls.join("\n"), "latin1");
}

const WRONG_VALUES = ["[1, 2]", "{a: b}", "123", "null", "true", "~", '""', "!!binary aGVsbG8=", "- x", "|\n  block", "0x1F", "1e400", "'unterminated"];

const MUTATIONS: Record<string, Mutation> = {
  truncate: onFile((t, r) => t.subarray(0, r.int(t.length + 1))),
  tabs: onFile((t, r) => fromLines(lines(t).map((l) => (r.chance(0.3) ? l.replace(/^( {2})+/, (s) => "\t".repeat(s.length / 2)) : l)))),
  duplicateLine: onFile((t, r) => {
    const ls = lines(t);
    const i = r.int(ls.length);
    ls.splice(i, 0, ls[i]);
    return fromLines(ls);
  }),
  deleteLine: onFile((t, r) => {
    const ls = lines(t);
    ls.splice(r.int(ls.length), 1 + r.int(3));
    return fromLines(ls);
  }),
  swapLines: onFile((t, r) => {
    const ls = lines(t);
    const i = r.int(ls.length);
    const j = r.int(ls.length);
    [ls[i], ls[j]] = [ls[j], ls[i]];
    return fromLines(ls);
  }),
  bom: onFile((t) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), t])),
  crlf: onFile((t) => Buffer.from(t.toString("latin1").replace(/\n/g, "\r\n"), "latin1")),
  nonUtf8: onFile((t, r) => {
    const at = r.int(t.length + 1);
    const junk = Buffer.from(Array.from({ length: 1 + r.int(4) }, () => 0x80 + r.int(128)));
    return Buffer.concat([t.subarray(0, at), junk, t.subarray(at)]);
  }),
  binaryPrefix: onFile((t, r) => Buffer.concat([Buffer.from(Array.from({ length: 16 + r.int(64) }, () => r.int(256))), t])),
  byteFlip: onFile((t, r) => {
    const copy = Buffer.from(t);
    for (let k = 0; k < 1 + r.int(8) && copy.length > 0; k++) copy[r.int(copy.length)] = r.int(256);
    return copy;
  }),
  wrongType: onFile((t, r) => {
    const ls = lines(t);
    const candidates = ls.map((l, i) => (/:\s*\S/.test(l) ? i : -1)).filter((i) => i >= 0);
    if (candidates.length === 0) return t;
    const i = r.pick(candidates);
    ls[i] = ls[i].replace(/:\s*\S.*$/, `: ${r.pick(WRONG_VALUES)}`);
    return fromLines(ls);
  }),
  emptyDocuments: onFile((t, r) => (r.chance(0.3) ? Buffer.alloc(0) : Buffer.concat([Buffer.from("---\n---\n"), t, Buffer.from("\n---\n...\n---\n")]))),
  undefinedAlias: onFile((t, r) => {
    const ls = lines(t);
    const i = r.int(ls.length);
    ls[i] = ls[i].replace(/:\s*\S.*$/, ": *nope");
    return fromLines(ls);
  }),
  selfAlias: onFile((t, r) => {
    const ls = lines(t);
    const i = r.int(ls.length);
    ls[i] = ls[i].replace(/:\s*\S.*$/, r.chance(0.5) ? ": &a [ *a ]" : ": &m { k: *m }");
    return fromLines(ls);
  }),
  // A value shared through an anchor, its alias under a key that sorts first (build sorts keys),
  // and a merge key: real repositories write selectors this way.
  sharedAnchors: onFile((t, r) => {
    const doc = ["apiVersion: v1", "kind: ConfigMap", `metadata: {name: shared-${r.int(1000)}}`, "data:",
      "  zz: &shared {mode: 0644, when: 2024-01-01}", "  aa: *shared", "  merged:", "    <<: *shared", "    extra: x"];
    return Buffer.concat([t, Buffer.from(`\n---\n${doc.join("\n")}\n`)]);
  }),
  laughs: onFile((t) => {
    const levels = ["x0: &x0 [a, a, a, a, a, a, a, a, a, a]"];
    for (let i = 1; i < 9; i++) levels.push(`x${i}: &x${i} [${Array(10).fill(`*x${i - 1}`).join(", ")}]`);
    return Buffer.concat([t, Buffer.from(`\n---\n${levels.join("\n")}\n`)]);
  }),
  deepNesting: onFile((t, r) => {
    const depth = 200 + r.int(3000);
    const deep = r.chance(0.5)
      ? `deep: ${"[".repeat(depth)}${"]".repeat(depth)}`
      : Array.from({ length: depth }, (_, i) => `${" ".repeat(i)}k:`).join("\n") + " v";
    return Buffer.concat([t, Buffer.from(`\n---\n${deep}\n`)]);
  }),
  hugeList: (dir, r) => {
    const kustomizations = filesUnder(dir, /\.ya?ml$/).filter((f) => /kind:\s*Kustomization/.test(fs.readFileSync(f, "latin1")));
    const n = 5_000 + r.int(45_000);
    if (kustomizations.length > 0 && r.chance(0.7)) {
      const file = r.pick(kustomizations);
      const text = fs.readFileSync(file, "latin1");
      const entries = Array.from({ length: n }, (_, i) => `    - name: dep-${i}`).join("\n");
      const added = /^spec:/m.test(text) ? text.replace(/^spec:\n/m, `spec:\n  dependsOn:\n${entries}\n`) : `${text}\nspec:\n  dependsOn:\n${entries}\n`;
      fs.writeFileSync(file, added, "latin1");
      return `${path.relative(dir, file)}: ${n} dependsOn`;
    }
    const file = path.join(r.pick(dirsUnder(dir)), "huge.yaml");
    const keys = r.chance(0.5);
    fs.writeFileSync(file, keys ? `data:\n${Array.from({ length: n }, (_, i) => `  k${i}: v`).join("\n")}\n` : `items:\n${Array.from({ length: n }, (_, i) => `  - ${i}`).join("\n")}\n`);
    return `${path.relative(dir, file)}: ${n} ${keys ? "keys" : "items"}`;
  },
  referenceOutside: (dir, r) => {
    const files = filesUnder(dir, /^kustomization\.ya?ml$/);
    const target = r.pick(["../../../../../../etc/passwd", "/etc/passwd", "../../../../..", `${"../".repeat(40)}etc`, "../" + "x".repeat(5000), "a/".repeat(3000) + "x"]);
    if (files.length > 0 && r.chance(0.6)) {
      const file = r.pick(files);
      const field = r.pick(["resources", "components", "patches", "crds", "configMapGenerator"]);
      const entry = field === "patches" ? `  - path: ${target}` : field === "configMapGenerator" ? `  - name: x\n    files: [${target}]` : `  - ${target}`;
      fs.appendFileSync(file, `\n${field}:\n${entry}\n`);
      return `${path.relative(dir, file)}: ${field} ${target.slice(0, 40)}`;
    }
    const flux = filesUnder(dir, /\.ya?ml$/).filter((f) => /path:\s*\.\//.test(fs.readFileSync(f, "latin1")));
    if (flux.length === 0) return "no reference";
    const file = r.pick(flux);
    fs.writeFileSync(file, fs.readFileSync(file, "latin1").replace(/path:\s*\.\/\S*/, `path: ${target}`), "latin1");
    return `${path.relative(dir, file)}: spec.path ${target.slice(0, 40)}`;
  },
  symlink: (dir, r) => {
    const at = r.pick(dirsUnder(dir));
    const target = r.pick(["..", ".", dir, "/etc", "/", "../../../../../../..", "missing", "loop"]);
    const name = path.join(at, `link-${r.int(1000)}`);
    if (target === "loop") {
      fs.symlinkSync(`${name}-b`, name);
      fs.symlinkSync(name, `${name}-b`);
    } else {
      fs.symlinkSync(target, name);
    }
    const file = path.join(at, `file-link-${r.int(1000)}.yaml`);
    if (r.chance(0.3)) fs.symlinkSync(r.pick(["/etc/passwd", "/proc/self/environ", "/dev/zero"]), file);
    return `${path.relative(dir, name)} -> ${target}`;
  },
  binaryFile: (dir, r) => {
    const file = path.join(r.pick(dirsUnder(dir)), `bin-${r.int(1000)}.yaml`);
    fs.writeFileSync(file, Buffer.from(Array.from({ length: 64 + r.int(4096) }, () => r.int(256))));
    return path.relative(dir, file);
  },
  sourceIgnore: (dir, r) => {
    const line = r.pick(["a".repeat(100_000), "(".repeat(50_000), "[".repeat(10_000) + "a", "!".repeat(5000) + "*", "**/".repeat(3000) + "x", "\\".repeat(1000)]);
    fs.writeFileSync(path.join(r.pick(dirsUnder(dir)), ".sourceignore"), `${line}\n`);
    return ".sourceignore";
  },
  emptyDir: (dir, r) => {
    fs.mkdirSync(path.join(r.pick(dirsUnder(dir)), `empty-${r.int(1000)}`), { recursive: true });
    return "empty dir";
  },
};

/** Argument mutations: the arguments are input too. */
function mutateArgv(argv: string[], r: Random): string[] {
  const out = [...argv];
  const value = (flag: string, v: string) => {
    const i = out.indexOf(flag);
    if (i >= 0) out[i + 1] = v;
  };
  switch (r.int(6)) {
    case 0:
      value("--cluster", r.pick([".", "", "/", "..", "../..", "clusters", "clusters/development/", "./clusters//development", "x".repeat(5000)]));
      break;
    case 1:
      value("--env", r.pick(["../../..", "..", ".", "development/../production", "", "x".repeat(300), "production"]));
      break;
    case 2:
      out.push("--overlay-dir", r.pick(["..", "../x", "/etc", "infrastructure", ".", "infrastructure/kustomized/overlays/../../.."]));
      break;
    case 3:
      value("--role-arn", r.pick(["", "arn:aws:iam::1:role/x", "arn:aws:iam::123456789012:role/" + "a".repeat(70), "not-an-arn"]));
      break;
    case 4:
      out.push(r.pick(["--bogus", "--format", "--key"]), r.pick(["", "json", "sarif", "x"]));
      break;
    default:
      out.push("--help");
  }
  return out;
}

// --- stack files

const STACK_MUTATIONS: ((text: string, r: Random) => string | Buffer)[] = [
  (t, r) => t.slice(0, r.int(t.length)),
  (t) => `${t}\n---\nconfig: {}\n`,
  (t, r) => Buffer.concat([Buffer.from(t), Buffer.from(Array.from({ length: 32 }, () => r.int(256)))]),
  (t) => t.replace(/^config:\n/m, "config:\n  gitops-cluster:__proto__:\n    polluted: true\n"),
  (t) => t.replace(/repoDir: \S+/, "repoDir: nowhere/at/all"),
  (t) => t.replace(/clusterPath: \S+/, "clusterPath: clusters/none"),
  (t, r) => t.replace(/: (\S+)$/m, `: ${r.pick(WRONG_VALUES)}`),
  (t) => t.replace(/\n/g, "\r\n"),
  (t) => `\uFEFF${t}`,
  (t, r) => {
    const ls = t.split("\n");
    const i = r.int(ls.length);
    ls.splice(i, 0, ls[i]);
    return ls.join("\n");
  },
  (t) => t.replace(/^ {2}gitops-cluster:/m, "  gitops-cluster:constructor: 1\n  gitops-cluster:"),
  (t) => `${t}\n  gitops-cluster:tags: &a [ *a ]\n`,
  (t, r) => t.replace(/^(\s+)(\S.*)$/m, (_m, s: string, rest: string) => `${s}${"[".repeat(1000 + r.int(2000))}${rest}`),
];

function makeProject(dir: string, r: Random): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(PACKAGE_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  const notes: string[] = [];
  for (const stack of ["development", "production"]) {
    let text: string | Buffer = fs.readFileSync(path.join(PACKAGE_DIR, `Pulumi.${stack}.yaml`), "utf8");
    // The program resolves gitops.repoDir against its own directory: point it at the package's example.
    text = text.replace(/repoDir: \S+/, `repoDir: ${path.join(PACKAGE_DIR, "examples", "gitops")}`);
    const n = r.int(STACK_MUTATIONS.length);
    text = STACK_MUTATIONS[n](text, r);
    notes.push(`${stack}: stack mutation ${n}`);
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
  }
  return notes.join(", ");
}

// ------------------------------------------------------------------------------------------ checks

interface Outcome {
  index: number;
  command: string;
  argv: string[];
  mutations: string[];
  problems: string[];
  code?: number;
  ms?: number;
}

const STACK_TRACE = /\n\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/**
 * verify replays an ArtifactGenerator's copy operations into a scratch directory of its own
 * (gitops/read/artifact-generator.ts) and removes it at the end of the run: allowed, and checked gone.
 */
const ARTIFACT_SCRATCH = new RegExp(`^${fs.realpathSync(os.tmpdir()).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/gitops-artifact-[^/]*`);

/** Scratch directories a job touched that still exist after it. */
function scratchLeftBehind(accesses: { path: string }[]): string[] {
  const tops = new Set(accesses.map((a) => ARTIFACT_SCRATCH.exec(a.path)?.[0]).filter((t): t is string => t !== undefined));
  return [...tops].filter((t) => fs.existsSync(t));
}

/** The package's own code, read by the loader: allowed. Its cache directory may be written. */
function allowed(access: { op: string; path: string }, mutantDir: string, command: string): boolean {
  const p = access.path;
  if (p === mutantDir || p.startsWith(mutantDir + path.sep)) return true;
  if (ARTIFACT_SCRATCH.test(p)) return true;
  const cache = path.join(PACKAGE_DIR, "node_modules", ".cache");
  if (p.startsWith(cache + path.sep) || p === cache) return true;
  if (access.op === "write") return false;
  if (p.startsWith(path.join(PACKAGE_DIR, "node_modules") + path.sep)) return true;
  for (const code of ["bin", "cli", "gitops", "stacks", "components", "offline", "drift", "policy"]) {
    if (p === path.join(PACKAGE_DIR, code) || p.startsWith(path.join(PACKAGE_DIR, code) + path.sep)) return true;
  }
  if (["index.ts", "package.json", "tsconfig.json"].some((f) => p === path.join(PACKAGE_DIR, f))) return true;
  // plan: the stack program reads the package's Pulumi.yaml and the example repository its stack file names.
  // gitops.repoDir is resolved against the program's directory, so a stack file's repoDir names a path there.
  if (command === "plan" && (p === PACKAGE_DIR || p.startsWith(PACKAGE_DIR + path.sep))) return true;
  // verify --format sarif looks for the Git checkout above the repository (cli/verify.ts placeInCheckout): `.git` probes.
  if (access.op === "read" && path.basename(p) === ".git" && mutantDir.startsWith(path.dirname(p).replace(/\/?$/, "/"))) return true;
  // Resolving a real path (the package's, the mutant's) stats its ancestors.
  if (mutantDir.startsWith(p.endsWith(path.sep) ? p : p + path.sep)) return true;
  if (PACKAGE_DIR === p || PACKAGE_DIR.startsWith(p.endsWith(path.sep) ? p : p + path.sep)) return true;
  // Fetching charts reads the credentials Helm keeps (gitops/charts/fetch.ts): read only, never written.
  const helmHome = process.env.HELM_CONFIG_HOME || path.join(process.env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config"), "helm");
  const helmFiles = [process.env.HELM_REPOSITORY_CONFIG, process.env.HELM_REGISTRY_CONFIG, path.join(helmHome, "repositories.yaml"), path.join(helmHome, "registry", "config.json")];
  if (access.op === "read" && helmFiles.includes(p)) return true;
  // Node and the Pulumi SDK look for package.json and node_modules up the tree.
  if (/(^|\/)(package\.json|node_modules)$/.test(p) && PACKAGE_DIR.startsWith(path.dirname(p))) return true;
  return false;
}

function treeOf(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) out.set(path.relative(root, full), fs.readFileSync(full));
    }
  };
  walk(root);
  return out;
}

/** A --write may change only lines that hold the key, and must leave no temp file or journal. */
function checkWrite(before: Map<string, Buffer>, after: Map<string, Buffer>, key: string): string[] {
  const problems: string[] = [];
  for (const [file, bytes] of after) {
    if (/\.tmp$|\.gitops-cluster-write\.json/.test(file)) problems.push(`left ${file}`);
    const old = before.get(file);
    if (old === undefined || old.equals(bytes)) continue;
    const a = old.toString("latin1").split("\n");
    const b = bytes.toString("latin1").split("\n");
    if (a.length !== b.length) {
      problems.push(`${file}: line count changed ${a.length} -> ${b.length}`);
      continue;
    }
    // The key's own line, or an anchored value an alias under the key points to (the rewrite edits the anchor).
    const bad = a.findIndex((line, i) => line !== b[i] && !(line.includes(key) || b[i].includes(key) || /&[^\s,\]}]+/.test(line)));
    if (bad >= 0) problems.push(`${file}:${bad + 1}: a line without ${key} changed`);
  }
  for (const file of before.keys()) if (!after.has(file)) problems.push(`${file}: deleted`);
  return problems;
}

// ------------------------------------------------------------------------------------------ runner

class Worker {
  private child?: ChildProcess;
  private ready?: Promise<void>;

  private start(): Promise<void> {
    this.child = fork(path.join(PACKAGE_DIR, "bin", "run-ts.js"), [path.join(__dirname, "runner.ts")], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      execArgv: [`--max-old-space-size=${MEMORY_LIMIT_MIB + 512}`, "--stack-size=984"],
    });
    this.child.stderr?.resume();
    return new Promise((resolve, reject) => {
      this.child!.once("message", () => resolve());
      this.child!.once("exit", (code) => reject(new Error(`fuzz runner exited (${code}) before it was ready`)));
    });
  }

  async run(job: Job): Promise<JobResult | { hang: true } | { died: string }> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) this.ready = this.start();
    await this.ready;
    const child = this.child!;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        cleanup();
        child.kill("SIGKILL");
        this.child = undefined;
        resolve({ hang: true });
      }, JOB_TIMEOUT_MS);
      const onMessage = (m: JobResult) => {
        if (m.id !== job.id) return;
        cleanup();
        resolve(m);
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        this.child = undefined;
        resolve({ died: `runner died (exit ${code}, signal ${signal})` });
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
      };
      child.on("message", onMessage);
      child.on("exit", onExit);
      child.send(job);
    });
  }

  /** Restarts the runner when it has grown: a leak across jobs is not a mutant's fault. */
  recycle(rssMiB: number): void {
    if (rssMiB > MEMORY_LIMIT_MIB / 2 && this.child) {
      this.child.kill("SIGKILL");
      this.child = undefined;
    }
  }

  stop(): void {
    this.child?.kill("SIGKILL");
  }
}

/** Runs inject --write as its own process, kills it after a random delay, recovers, and checks the set is whole. */
async function killTrial(mutantDir: string, argv: string[], r: Random): Promise<string[]> {
  const reference = `${mutantDir}-reference`;
  fs.cpSync(mutantDir, reference, { recursive: true, verbatimSymlinks: true });
  const original = treeOf(mutantDir);
  const bin = path.join(PACKAGE_DIR, "bin", "gitops-cluster.js");
  const args = argv.map((a) => (a === "{repo}" ? reference : a));
  spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, ...JOB_ENV }, timeout: JOB_TIMEOUT_MS });
  const finished = treeOf(reference);
  const child = spawn(process.execPath, [bin, ...argv.map((a) => (a === "{repo}" ? mutantDir : a))], { stdio: "ignore", env: { ...process.env, ...JOB_ENV } });
  await new Promise((resolve) => setTimeout(resolve, 150 + r.int(600)));
  child.kill("SIGKILL");
  await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once("exit", resolve)));
  require("../bin/ts-cache").register();
  const { recoverWriteSet } = require("../gitops/edit/write-set") as typeof import("../gitops/edit/write-set");
  try {
    recoverWriteSet(mutantDir);
  } catch (err) {
    return [`recovery failed: ${(err as Error).message}`];
  }
  const after = treeOf(mutantDir);
  const problems: string[] = [];
  let oldFiles = 0;
  let newFiles = 0;
  for (const [file, bytes] of after) {
    if (/\.tmp$|\.gitops-cluster-write\.json/.test(file)) problems.push(`after a kill and recovery: left ${file}`);
    const was = original.get(file);
    const will = finished.get(file);
    if (was && will && was.equals(will)) continue;
    if (was && bytes.equals(was)) oldFiles++;
    else if (will && bytes.equals(will)) newFiles++;
    else problems.push(`after a kill and recovery: ${file} is neither its old nor its new content`);
  }
  if (oldFiles > 0 && newFiles > 0) problems.push(`after a kill and recovery: ${newFiles} file(s) new and ${oldFiles} old (half applied)`);
  fs.rmSync(reference, { recursive: true, force: true });
  return problems;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: "string", default: "1" },
      mutants: { type: "string", default: "400" },
      seconds: { type: "string", default: "0" },
      only: { type: "string" },
      keep: { type: "boolean", default: false },
      "kill-every": { type: "string", default: "25" },
      strace: { type: "string", default: "0" },
    },
  });
  const seed = Number(values.seed);
  const total = Number(values.mutants);
  const seconds = Number(values.seconds);
  const killEvery = Number(values["kill-every"]);
  const all = seeds();
  const commands = [...new Set(all.map((s) => s.command))];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-cluster-fuzz-"));
  const worker = new Worker();
  const charts = await chartServer(work);
  const started = Date.now();
  const outcomes: Outcome[] = [];
  const counts = new Map<string, { mutants: number; codes: Map<number, number>; ms: number }>();
  let stracePending = Number(values.strace);
  process.stdout.write(`fuzz: seed ${seed}, ${total} mutants, commands ${commands.join(", ")}, work dir ${work}\n`);

  for (let index = 0; index < total; index++) {
    if (seconds > 0 && Date.now() - started > seconds * 1000) break;
    if (values.only !== undefined && index !== Number(values.only)) continue;
    const r = new Random(seededRandom(seed * 1_000_003 + index));
    // Plan mutants cost seconds each: one in twenty.
    // Chart archives and indexes: one in ten (two seeds among dozens would be rare otherwise).
    const pool = r.chance(0.05) ? all.filter((s) => s.command === "plan")
      : r.chance(0.1) && all.some((s) => s.chart === true) ? all.filter((s) => s.chart === true)
        : all.filter((s) => s.command !== "plan" && s.chart !== true);
    const s = r.pick(pool);
    const dir = path.join(work, `m${index}`);
    const mutations: string[] = [];
    let argv = s.argv;
    if (s.source === "<project>") {
      mutations.push(makeProject(dir, r));
    } else {
      fs.cpSync(s.source, dir, { recursive: true });
      for (let k = 0, n = 1 + r.int(3); k < n; k++) {
        const name = r.pick(Object.keys(MUTATIONS));
        try {
          mutations.push(`${name}(${MUTATIONS[name](dir, r)})`);
        } catch (err) {
          mutations.push(`${name}(failed: ${(err as Error).message.slice(0, 80)})`);
        }
      }
      if (r.chance(0.1)) {
        argv = mutateArgv(argv, r);
        mutations.push(`argv ${argv.slice(1).join(" ").slice(0, 120)}`);
      }
    }
    if (s.chart === true) mutations.push(prepareChartMutant(dir, r, `${charts.url}/m${index}`));
    const realDir = fs.realpathSync(dir);
    const before = s.writesKey ? treeOf(dir) : undefined;
    const env = s.chart === true ? { ...JOB_ENV, XDG_CACHE_HOME: path.join(realDir, ".cache") } : JOB_ENV;
    const job: Job = { id: index, argv: argv.map((a) => (a === "{repo}" ? realDir : a.replace("{repo}/", `${realDir}/`))), cwd: realDir, env };
    const result = await worker.run(job);
    const outcome: Outcome = { index, command: s.command, argv: job.argv, mutations, problems: [] };
    if ("hang" in result) outcome.problems.push(`hang: no answer in ${JOB_TIMEOUT_MS / 1000} s`);
    else if ("died" in result) outcome.problems.push(result.died);
    else {
      outcome.code = result.code;
      outcome.ms = result.ms;
      if (result.thrown !== undefined) outcome.problems.push(`crash (internal error, exit 3): ${result.thrown.split("\n")[0].slice(0, 300)}`);
      else if (![0, 1, 2].includes(result.code)) outcome.problems.push(`exit ${result.code}`);
      if (STACK_TRACE.test(result.stdout + result.stderr)) outcome.problems.push("stack trace printed");
      if (result.rssMiB > MEMORY_LIMIT_MIB) outcome.problems.push(`memory ${result.rssMiB} MiB > ${MEMORY_LIMIT_MIB} MiB`);
      const outside = result.accesses.filter((a) => !allowed(a, realDir, s.command));
      const shown = [...new Set(outside.map((a) => `${a.op} ${a.path}`))].slice(0, 5);
      if (outside.length > 0) outcome.problems.push(`outside access: ${shown.join(", ")}`);
      const scratch = scratchLeftBehind(result.accesses);
      if (scratch.length > 0) outcome.problems.push(`outside access: scratch directory left behind: ${scratch.join(", ")}`);
      if (before) outcome.problems.push(...checkWrite(before, treeOf(dir), s.writesKey!));
      worker.recycle(result.rssMiB);
      const c = counts.get(s.command) ?? { mutants: 0, codes: new Map<number, number>(), ms: 0 };
      c.mutants++;
      c.codes.set(result.code, (c.codes.get(result.code) ?? 0) + 1);
      c.ms += result.ms;
      counts.set(s.command, c);
    }
    if (s.writesKey && killEvery > 0 && index % killEvery === 0) {
      const killDir = `${dir}-kill`;
      fs.rmSync(killDir, { recursive: true, force: true });
      fs.cpSync(s.source, killDir, { recursive: true });
      outcome.problems.push(...(await killTrial(fs.realpathSync(killDir), s.argv, r)));
      fs.rmSync(killDir, { recursive: true, force: true });
      mutations.push("kill trial");
    }
    if (stracePending > 0 && index % 7 === 0 && s.command !== "plan") {
      const traced = straceOutside(job, realDir, s.command);
      if (traced !== undefined) {
        stracePending--;
        if (traced.length > 0) outcome.problems.push(`strace: outside access: ${traced.slice(0, 5).join(", ")}`);
      }
    }
    outcomes.push(outcome);
    if (outcome.problems.length > 0) {
      process.stdout.write(`FAIL #${index} ${s.command} [${mutations.join("; ")}]\n  ${outcome.problems.join("\n  ")}\n`);
    } else if (!values.keep) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if ((index + 1) % 100 === 0) process.stdout.write(`fuzz: ${index + 1} mutants, ${outcomes.filter((o) => o.problems.length > 0).length} failing, ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
  worker.stop();
  charts.close();
  fs.rmSync(CHART_SEED_DIR, { recursive: true, force: true });

  const failing = outcomes.filter((o) => o.problems.length > 0);
  const kind = (re: RegExp) => failing.filter((o) => o.problems.some((p) => re.test(p))).length;
  process.stdout.write("\nfuzz summary\n");
  for (const [command, c] of [...counts].sort()) {
    const codes = [...c.codes].sort(([a], [b]) => a - b).map(([code, n]) => `exit ${code}: ${n}`).join(", ");
    process.stdout.write(`  ${command.padEnd(8)} ${String(c.mutants).padStart(5)} mutants  (${codes})  mean ${Math.round(c.ms / c.mutants)} ms\n`);
  }
  process.stdout.write(
    `  total ${outcomes.length} mutants in ${Math.round((Date.now() - started) / 1000)} s: ` +
      `${kind(/^crash|^exit|runner died/)} crashes, ${kind(/^hang/)} hangs, ${kind(/stack trace/)} traces, ` +
      `${kind(/outside access/)} outside access, ${kind(/^memory/)} over memory, ${kind(/left|changed|half applied|neither|deleted|recovery/)} bad writes\n`,
  );
  if (failing.length > 0) process.stdout.write(`  replay one: npm run fuzz -- --seed ${seed} --mutants ${total} --only N --keep\n`);
  if (failing.length === 0 && !values.keep) fs.rmSync(work, { recursive: true, force: true });
  return failing.length > 0 ? 1 : 0;
}

/** Re-runs a job as its own process under `strace -f -e trace=file`, when strace is installed: paths outside the mutant. */
function straceOutside(job: Job, realDir: string, command: string): string[] | undefined {
  const which = spawnSync("sh", ["-c", "command -v strace"], { encoding: "utf8" });
  if (which.status !== 0) return undefined;
  const log = `${realDir}.strace`;
  spawnSync("strace", ["-f", "-qq", "-e", "trace=file", "-o", log, process.execPath, path.join(PACKAGE_DIR, "bin", "gitops-cluster.js"), ...job.argv], {
    cwd: job.cwd,
    env: { ...process.env, ...job.env },
    timeout: JOB_TIMEOUT_MS,
  });
  const outside = new Set<string>();
  for (const line of fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n") : []) {
    const m = /^\d+\s+(\w+)\((?:AT_FDCWD|\d+), "([^"]*)"|^\d+\s+(\w+)\("([^"]*)"/.exec(line);
    if (!m) continue;
    const call = m[1] ?? m[3];
    const p = path.resolve(job.cwd, m[2] ?? m[4]);
    if (/execve/.test(call)) continue;
    const op = /O_WRONLY|O_RDWR|O_CREAT/.test(line) || /rename|unlink|mkdir|rmdir|chmod/.test(call) ? "write" : "read";
    // The process itself, whatever the input: Node's binary, shared libraries, /proc, /sys, /dev,
    // system configuration (/etc: resolver, locale) and TypeScript's case-sensitivity probe of
    // its own path in upper case (the Pulumi SDK loads TypeScript).
    if (op === "read" && /^\/(proc|sys|dev|etc|lib|usr)(\/|$)/.test(p)) continue;
    if (op === "read" && p === path.join(PACKAGE_DIR, "node_modules", "typescript", "lib", "typescript.js").toUpperCase()) continue;
    if (op === "read" && p === "/" ) continue;
    if (!allowed({ op, path: p }, realDir, command)) outside.add(`${op} ${p}`);
  }
  fs.rmSync(log, { force: true });
  return [...outside];
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`fuzz: ${(err as Error).stack ?? err}\n`);
    process.exit(3);
  },
);
