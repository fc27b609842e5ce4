import { execFile } from "child_process";
import { SchemaOptions, parseAllDocuments } from "yaml";
import { main } from "../../cli/main";

/**
 * Differential testing against the real kustomize (`kubectl kustomize`): both outputs are parsed,
 * each object is keyed by apiVersion/kind/namespace/name, and whole bodies are compared after
 * sorting map keys. Nothing is dropped from either side: what kubectl adds and the resolver does
 * not model is a difference.
 */

export type Body = Record<string, unknown>;

/** A body with map keys sorted, as a stable string. */
export function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Body)[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 1);
}

export function idOf(body: Body): string {
  const meta = (typeof body.metadata === "object" && body.metadata !== null ? body.metadata : {}) as Body;
  return `${String(body.apiVersion)} ${String(body.kind)} ${String(meta.namespace ?? "")}/${String(meta.name ?? "")}`;
}

/** The documents of a YAML stream; `options` e.g. AS_KUSTOMIZE_READS, to read kubectl's output as Go reads it. */
export function parseStream(text: string, options: SchemaOptions = {}): Body[] {
  return parseAllDocuments(text, options).map((d) => d.toJS({ maxAliasCount: -1 }) as Body).filter((b) => b !== null && typeof b === "object");
}

/** Every difference between two builds: ids present on one side only, and bodies that differ (both printed). */
export function differences(ours: Body[], theirs: Body[]): string[] {
  const index = (bodies: Body[]) => new Map(bodies.map((b) => [idOf(b), canonical(b)]));
  const a = index(ours);
  const b = index(theirs);
  const out: string[] = [];
  for (const [id, body] of b) {
    if (!a.has(id)) out.push(`only kubectl kustomize builds ${id}:\n${body}`);
    else if (a.get(id) !== body) out.push(`${id} differs\n--- ours:\n${a.get(id)}\n--- kubectl kustomize:\n${body}`);
  }
  for (const [id, body] of a) if (!b.has(id)) out.push(`only the resolver builds ${id}:\n${body}`);
  if (ours.length !== a.size || theirs.length !== b.size) out.push(`duplicate ids: ours ${ours.length}/${a.size}, kubectl ${theirs.length}/${b.size}`);
  return out;
}

/** `gitops-cluster build`, in process: the code path users run. */
export async function ourBuild(repo: string, buildPath: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(["build", "--repo", repo, "--path", buildPath], {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    cwd: process.cwd(),
    env: process.env,
  });
  return { code, stdout, stderr };
}

/**
 * `kubectl kustomize DIR` without a load restrictor, as Flux builds (fluxcd/pkg
 * kustomize/kustomize_generator.go at e2cfd1a: krusty options LoadRestrictions: LoadRestrictionsNone);
 * a failed build resolves with its message rather than rejecting.
 */
export function kubectlKustomize(dir: string): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("kubectl", ["kustomize", "--load-restrictor", "LoadRestrictionsNone", dir], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ ok: err === null, stdout, stderr: err === null ? stderr : `${stderr}${err.message}` });
    });
  });
}

/** Runs `work` over `items` with at most `limit` at a time (kubectl calls are processes: the machine has few cores). */
export async function pooled<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
