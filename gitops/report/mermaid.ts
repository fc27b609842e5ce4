import { Finding, KustomizationNode, VerifyResult } from "../model";

/** Mermaid ids allow letters, digits and underscores; a prefix keeps clear of keywords like `end`. */
function sanitize(key: string): string {
  return `k_${key.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/** Text inside a quoted Mermaid label: a double quote would end the label early. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;");
}

/** Gives every graph key ("namespace/name") its own Mermaid id, even when two sanitise alike. */
class NodeIds {
  private readonly ids = new Map<string, string>();
  private readonly taken = new Set<string>();

  of(key: string): string {
    let id = this.ids.get(key);
    if (id === undefined) {
      const base = sanitize(key);
      id = base;
      for (let n = 2; this.taken.has(id); n++) id = `${base}_${n}`;
      this.ids.set(key, id);
      this.taken.add(id);
    }
    return id;
  }
}

/** Every Kustomization `id` waits for, directly or not. */
function dependencyClosure(id: string, byId: Map<string, KustomizationNode>): Set<string> {
  const seen = new Set<string>();
  const stack = [...(byId.get(id)?.dependsOn ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(byId.get(next)?.dependsOn ?? []));
  }
  return seen;
}

/** Whether `name` appears in `text` as a whole name (not inside a longer one); no regex built from input. */
function mentions(text: string, name: string): boolean {
  if (name === "") return false;
  const namePart = (c: string | undefined) => c !== undefined && /[A-Za-z0-9.-]/.test(c);
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    if (!namePart(text[at - 1]) && !namePart(text[at + name.length])) return true;
  }
  return false;
}

/**
 * The dependsOn edges a `consumer-without-provider` finding says are missing, as [provider,
 * consumer] ids: the providers of a group the consumer uses that it does not already wait for,
 * narrowed to the ones the finding names when it names any.
 */
function missingEdges(finding: Finding, byId: Map<string, KustomizationNode>): Array<[string, string]> {
  const consumer = finding.kustomization === undefined ? undefined : byId.get(finding.kustomization);
  if (!consumer) return [];
  const reached = dependencyClosure(consumer.id, byId);
  const used = new Set(consumer.consumesGroups);
  const candidates = [...byId.values()].filter(
    (k) => k.id !== consumer.id && !reached.has(k.id) && k.providesGroups.some((g) => used.has(g)),
  );
  const named = candidates.filter((k) => mentions(`${finding.fix}\n${finding.message}`, k.name));
  return (named.length > 0 ? named : candidates).map((k) => [k.id, consumer.id]);
}

/**
 * The Kustomization graph as a Mermaid flowchart. Arrows run in install order, from a
 * dependency to the Kustomization that waits for it. Providers of CRDs are blue, Kustomizations
 * with an error have a red border, and every dependsOn that a consumer-without-provider finding
 * asks for is a dashed red arrow labelled "missing dependsOn".
 */
export function renderMermaid(result: VerifyResult): string {
  const byId = new Map(result.kustomizations.map((k) => [k.id, k]));
  const ids = new NodeIds();
  const lines = ["flowchart LR", "  %% arrows run from a dependency to the Kustomization that waits for it"];
  const multipleNamespaces = new Set(result.kustomizations.map((k) => k.namespace)).size > 1;

  for (const k of result.kustomizations) {
    const title = multipleNamespaces ? k.id : k.name;
    const provides = k.providesGroups.length > 0 ? `<br/>provides ${k.providesGroups.join(", ")}` : "";
    lines.push(`  ${ids.of(k.id)}["${label(title + provides)}"]`);
  }

  const absent = new Set<string>();
  const edges: string[] = [];
  const redEdges: number[] = [];
  for (const k of result.kustomizations) {
    for (const dep of k.dependsOn) {
      if (!byId.has(dep) && !absent.has(dep)) {
        absent.add(dep);
        lines.push(`  ${ids.of(dep)}["${label(`${dep} (does not exist)`)}"]`);
      }
      edges.push(`  ${ids.of(dep)} --> ${ids.of(k.id)}`);
    }
  }
  const drawn = new Set<string>();
  for (const finding of result.findings) {
    if (finding.rule !== "consumer-without-provider") continue;
    for (const [provider, consumer] of missingEdges(finding, byId)) {
      const key = `${provider}\0${consumer}`;
      if (drawn.has(key)) continue;
      drawn.add(key);
      redEdges.push(edges.length);
      edges.push(`  ${ids.of(provider)} -. missing dependsOn .-> ${ids.of(consumer)}`);
    }
  }
  lines.push(...edges);

  const providers = result.kustomizations.filter((k) => k.providesGroups.length > 0).map((k) => ids.of(k.id));
  const failing = new Set(
    result.findings
      .filter((f) => f.severity === "error" && f.kustomization !== undefined && byId.has(f.kustomization))
      .map((f) => ids.of(f.kustomization!)),
  );
  lines.push("  classDef provider fill:#e3f2fd,stroke:#1565c0");
  lines.push("  classDef failing stroke:#c62828,stroke-width:3px");
  lines.push("  classDef absent fill:#fff,stroke:#c62828,stroke-dasharray:4 4");
  if (providers.length > 0) lines.push(`  class ${providers.join(",")} provider`);
  if (failing.size > 0) lines.push(`  class ${[...failing].join(",")} failing`);
  if (absent.size > 0) lines.push(`  class ${[...absent].map((d) => ids.of(d)).join(",")} absent`);
  for (const index of redEdges) lines.push(`  linkStyle ${index} stroke:#c62828,stroke-width:2px,color:#c62828`);
  return `${lines.join("\n")}\n`;
}
