import * as path from "path";
import { Finding } from "../model";
import { BootstrapFile } from "../read/helmfile";
import { Rule, findingAt } from "./context";
import { securelyJoined } from "../kustomize";

/** Where each source was read from, and what of it could not be honoured offline (notes). */
export const sourceRead: Rule = (context) => {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const node of context.nodes) {
    if (node.unresolved.some((u) => u.reason === "external-source")) continue; // said by unresolved-reference
    for (const note of node.sourceNotes) {
      const key = `${node.id}\n${note}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push(findingAt("source-read", "note", node, `${node.id}: ${note}`, "nothing to fix; said so the report is honest about what it read"));
    }
    for (const note of node.generatorNotes) {
      findings.push(findingAt("source-read", "note", node, note.message, "nothing to fix; said so the report is honest about what it read", note.at));
    }
  }
  return findings;
};

/** One note per bootstrap file: the CRD groups it installs before Flux, so their users need no dependsOn. */
export function installedBeforeFlux(files: BootstrapFile[]): Finding[] {
  const findings: Finding[] = [];
  for (const f of files) {
    const known = [...new Set([...f.crdGroups, ...f.releases.flatMap((r) => r.groups)])].sort();
    const unknown = f.releases.filter((r) => !r.known).map((r) => r.chart === r.name ? r.name : `${r.name} (chart ${r.chart})`);
    const unread = (f.remote ?? []).filter((r) => !r.locked).map((r) => r.url);
    if (known.length === 0 && unknown.length === 0 && unread.length === 0) continue;
    const parts = [
      known.length > 0 ? `installs ${known.join(", ")} before Flux starts; Kustomizations using them need no dependsOn` : "",
      unknown.length > 0 ? `releases whose CRDs this check does not know: ${unknown.join(", ")}` : "",
      unread.length > 0 ? `manifests by URL not in the lock, so what they install is unknown and ordering findings are warnings: ${unread.join(", ")}` : "",
    ].filter((p) => p !== "");
    findings.push({
      rule: "installed-before-flux",
      severity: "note",
      message: `bootstrap file ${f.file} ${parts.join("; ")}`,
      file: f.file,
      line: 1,
      fix: unread.length > 0 ? "run `gitops-cluster charts lock` with the network to record what the URLs define"
        : unknown.length > 0 ? "add the charts to the providers table (--providers FILE) to name their CRD groups" : "nothing to fix",
    });
  }
  return findings;
}

/**
 * When every spec.path this repository should hold is missing but each exists under one ancestor
 * directory of the cluster path, the repository root given is not the Flux source root: say which
 * directory probably is.
 */
export function sourceRootHint(context: Parameters<Rule>[0], exists: (p: string) => boolean, cluster: string): { root: string; finding: Finding } | undefined {
  const missing = context.nodes.flatMap((n) => n.unresolved.filter((u) => u.reason === "missing-path" && u.source === n.source).map((u) => ({ node: n, ref: u.ref })));
  const read = context.nodes.filter((n) => !n.root && n.path !== undefined && n.unresolved.every((u) => u.reason !== "external-source"));
  if (missing.length === 0 || missing.length < read.length) return undefined;
  const ancestors: string[] = [];
  for (let d = path.posix.dirname(cluster); d !== "." && d !== ""; d = path.posix.dirname(d)) ancestors.push(d);
  for (const a of ancestors) {
    if (!missing.every((m) => exists(path.posix.join(a, securelyJoined(m.ref))))) continue;
    return {
      root: a,
      finding: findingAt(
        "missing-path", "warning", undefined,
        `no spec.path of this cluster exists at the repository root, but every one exists under ${a}/: the Flux source root is probably ${a} (a repository of its own, or a source with that root)`,
        `run verify with --repo <repository>/${a} --cluster ${path.posix.relative(a, cluster)}`,
        { file: cluster, line: 0 },
      ),
    };
  }
  return undefined;
}
