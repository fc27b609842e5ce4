import { Finding, UnresolvedReason } from "../model";
import { BOOTSTRAP_KUSTOMIZATION, GraphNode } from "../flux/graph";
import { Rule, RuleContext, findingAt } from "./context";

/** Reasons a Kustomization may exist that this analysis could not see. */
export const HIDDEN_REASONS = new Set<UnresolvedReason>([
  "external-source", "remote-resource", "helm-charts", "unsubstituted-path", "outside-source-root",
  // A kustomize feature the resolver does not model, or a build it could not finish: what it applies is unseen.
  "unsupported-kustomize", "kustomize-error",
]);

function graphHasHiddenParts(context: RuleContext): boolean {
  return context.nodes.some((n) => n.unresolved.some((u) => HIDDEN_REASONS.has(u.reason)));
}

/** dependsOn targets that no Kustomization of the cluster defines: Flux waits on them forever. */
export const missingDependency: Rule = (context) => {
  const byName = new Map<string, string[]>();
  for (const id of context.byId.keys()) {
    const name = id.slice(id.indexOf("/") + 1);
    byName.set(name, [...(byName.get(name) ?? []), id]);
  }
  const unsure = graphHasHiddenParts(context);
  const findings: Finding[] = [];
  for (const node of context.nodes) {
    for (const target of node.dependsOn) {
      if (context.byId.has(target) || target === BOOTSTRAP_KUSTOMIZATION) continue;
      const name = target.slice(target.indexOf("/") + 1);
      const elsewhere = byName.get(name) ?? [];
      const fix = elsewhere.length > 0
        ? `set the namespace of the dependsOn entry \`${name}\` of ${node.id}: it exists as ${elsewhere.join(", ")}`
        : `create the Kustomization ${target}, or remove \`- name: ${name}\` from spec.dependsOn of ${node.id} (${node.source.file}:${node.source.line})`;
      findings.push(findingAt(
        "missing-dependency", unsure ? "warning" : "error", node,
        `${node.id} depends on ${target}, which no Kustomization of this cluster defines${unsure ? " (unless a source this check cannot read defines it)" : ""}: Flux never applies ${node.id}`,
        fix,
      ));
    }
  }
  return findings;
};

/**
 * Readiness cycles: through dependsOn, and through a parent that waits for a child it applies
 * (`wait: true` covers the child Kustomization) while the child depends on the parent. Flux applies
 * none of their members and reports nothing.
 */
export const dependencyCycle: Rule = (context) => {
  const edges = (id: string): string[] => {
    const node = context.byId.get(id);
    if (node === undefined) return [];
    const waited = [...node.waitedChildren].filter((c) => context.byId.get(c)?.parent === id);
    return [...node.dependsOn, ...waited].filter((t) => context.byId.has(t));
  };
  const findings: Finding[] = [];
  // Tarjan's strongly connected components, iterative so deep chains do not exhaust the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  let counter = 0;
  for (const start of context.byId.keys()) {
    if (index.has(start)) continue;
    const work: { id: string; next: number }[] = [{ id: start, next: 0 }];
    index.set(start, counter); low.set(start, counter++); stack.push(start); onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const out = edges(frame.id);
      if (frame.next < out.length) {
        const to = out[frame.next++];
        if (!index.has(to)) {
          index.set(to, counter); low.set(to, counter++); stack.push(to); onStack.add(to);
          work.push({ id: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.id)!));
      }
      if (low.get(frame.id) !== index.get(frame.id)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.id);
      const selfLoop = component.length === 1 && edges(component[0]).includes(component[0]);
      if (component.length > 1 || selfLoop) findings.push(cycleFinding(context, new Set(component), edges));
    }
  }
  return findings;
};

/** One concrete cycle through a component, printed a -> b -> a, starting from its first id. */
function cycleFinding(context: RuleContext, component: Set<string>, edges: (id: string) => string[]): Finding {
  const start = [...component].sort()[0];
  const previous = new Map<string, string>();
  const queue = [start];
  let last = start;
  search: for (let i = 0; i < queue.length; i++) {
    for (const to of edges(queue[i])) {
      if (!component.has(to)) continue;
      if (to === start) { last = queue[i]; break search; }
      if (!previous.has(to)) { previous.set(to, queue[i]); queue.push(to); }
    }
  }
  const path = [start];
  for (let at = last; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
  path.push(start);
  const node = context.byId.get(start)!;
  const hops = path.slice(1).map((to, i) => ({ from: context.byId.get(path[i])!, to }));
  const waits = hops.filter((h) => !h.from.dependsOn.includes(h.to)).map((h) => `${h.from.id} applies and waits for ${h.to}`);
  // Break the cycle at its last dependsOn edge: a parent's wait is rarely the mistake.
  const cut = [...hops].reverse().find((h) => h.from.dependsOn.includes(h.to));
  return findingAt(
    "dependency-cycle", "error", node,
    `dependency cycle: ${path.join(" -> ")}${waits.length > 0 ? ` (${waits.join("; ")})` : ""}; Flux applies none of these Kustomizations`,
    cut === undefined
      ? `stop ${node.id} from applying a Kustomization it is applied by`
      : `remove \`- name: ${cut.to.slice(cut.to.indexOf("/") + 1)}\` from spec.dependsOn of ${cut.from.id} (${cut.from.source.file}:${cut.from.source.line}), or another edge of the cycle`,
  );
}

/** Two Kustomizations with one namespace/name: they overwrite each other in the cluster. */
export const duplicateKustomization: Rule = (context) => {
  const findings: Finding[] = [];
  const first = new Map<string, GraphNode>();
  for (const node of context.nodes) {
    const earlier = first.get(node.id);
    if (earlier === undefined) { first.set(node.id, node); continue; }
    const sameObject = earlier.source.file === node.source.file && earlier.source.line === node.source.line;
    if (sameObject && (earlier.parent === node.id || node.parent === node.id)) {
      findings.push(selfApplied(node, earlier.parent === node.id ? node.parent : earlier.parent));
      continue;
    }
    const message = sameObject
      ? `Kustomization ${node.id} is applied twice, by ${earlier.parent ?? "the cluster root"} and by ${node.parent ?? "the cluster root"}: the two appliers fight over it`
      : `Kustomization ${node.id} is also defined at ${earlier.source.file}:${earlier.source.line}: only one of them exists in the cluster`;
    findings.push(findingAt(
      "duplicate-kustomization", "error", node, message,
      sameObject ? `apply ${node.source.file} from one Kustomization only` : `rename one of them (metadata.name) or delete the copy`,
    ));
  }
  return findings;
};

/**
 * A Kustomization whose spec.path holds its own definition, under a parent that applies it too: the
 * common `ks.yaml` inside the app directory. Flux applies it from both; each apply stamps its own
 * owner labels (kustomize-controller kustomization_controller.go at 186fb3b: resourceManager
 * .SetOwnerLabels(objects, obj.GetName(), obj.GetNamespace())), so the labels flip between the two
 * and nothing else changes. Production repositories run like this: a warning, not an error.
 */
function selfApplied(node: GraphNode, parent: string | undefined): Finding {
  const name = node.id.slice(node.id.indexOf("/") + 1);
  const other = parent ?? "the cluster root";
  const otherName = parent === undefined ? "the root sync" : parent.slice(parent.indexOf("/") + 1);
  return findingAt(
    "duplicate-kustomization", "warning", node,
    `Kustomization ${node.id} is applied by ${other} and by itself (its spec.path holds its own definition): ` +
      `each reconciliation sets the label kustomize.toolkit.fluxcd.io/name to ${otherName} or to ${name} in turn`,
    `move ${node.source.file} out of ${node.id}'s spec.path, or exclude it there (a kustomization.yaml that lists the other files)`,
  );
}
