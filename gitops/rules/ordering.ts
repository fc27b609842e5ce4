import { Finding } from "../model";
import { GraphNode } from "../flux/graph";
import { HIDDEN_REASONS } from "./dependencies";
import { Rule, RuleContext, dependsOnEntry, findingAt } from "./context";

/**
 * What a Kustomization can count on, computed once per node (memoized, so the whole analysis is
 * linear in the graph). Flux semantics (https://fluxcd.io/flux/components/kustomize/kustomizations/#dependencies):
 * - a dependency is Ready only after its own dependencies are Ready;
 * - Ready means applied; it means healthy (a HelmRelease installed, its CRDs present) only with
 *   `wait: true` or a health check covering the object;
 * - a parent applies its child Kustomizations only after its own dependencies are Ready, and is
 *   Ready only after the children it waits on are.
 */
class Reach {
  private readonly ready = new Map<string, Set<string>>();
  private readonly unsure = new Map<string, boolean>();

  constructor(private readonly context: RuleContext) {}

  private deps(node: GraphNode): GraphNode[] {
    return node.dependsOn.map((id) => this.context.byId.get(id)).filter((n): n is GraphNode => n !== undefined);
  }

  private parentOf(node: GraphNode): GraphNode | undefined {
    return node.parent === undefined ? undefined : this.context.byId.get(node.parent);
  }

  private children(node: GraphNode, waitedOnly: boolean): GraphNode[] {
    return node.children
      .filter((id) => !waitedOnly || node.waitedChildren.has(id))
      .map((id) => this.context.byId.get(id))
      .filter((n): n is GraphNode => n !== undefined && n.parent === node.id);
  }

  /** Groups surely installed once `node` is Ready. */
  readyGroups(node: GraphNode): Set<string> {
    return this.memo(this.ready, node, () => {
      const out = new Set(node.crdGroups);
      // Per release: a health check on one HelmRelease makes the Kustomization wait for that one.
      for (const h of node.helmReleases) {
        if (h.waited) for (const g of h.groups) out.add(g);
      }
      for (const g of this.availableTo(node)) out.add(g);
      for (const c of this.children(node, true)) for (const g of this.readyGroups(c)) out.add(g);
      return out;
    });
  }

  /** Groups surely installed before `node` applies anything: its dependencies' and its ancestors'. */
  availableTo(node: GraphNode): Set<string> {
    const out = new Set<string>();
    for (const d of this.deps(node)) for (const g of this.readyGroups(d)) out.add(g);
    const parent = this.parentOf(node);
    if (parent !== undefined) for (const g of this.availableTo(parent)) out.add(g);
    return out;
  }

  /** Whether something upstream of `node` (or node itself) could provide groups this analysis cannot see. */
  unsureUpstream(node: GraphNode): boolean {
    const cached = this.unsure.get(node.id);
    if (cached !== undefined) return cached;
    this.unsure.set(node.id, false); // a cycle contributes nothing new
    const own = node.helmReleases.some((h) => !h.known || h.chartInfo?.anyGroup === true) || node.unresolved.some((u) => HIDDEN_REASONS.has(u.reason));
    const result = own || this.upstream(node).some((n) => this.unsureUpstream(n));
    this.unsure.set(node.id, result);
    return result;
  }

  /** Kustomizations whose effects `node` may see: its and its ancestors' dependencies, and the children it applies. */
  upstream(node: GraphNode): GraphNode[] {
    const out = [...this.deps(node), ...this.children(node, false)];
    const seen = new Set([node.id]);
    for (let a = this.parentOf(node); a !== undefined && !seen.has(a.id); a = this.parentOf(a)) {
      seen.add(a.id);
      out.push(...this.deps(a));
    }
    return out;
  }

  private memo(cache: Map<string, Set<string>>, node: GraphNode, compute: () => Set<string>): Set<string> {
    const cached = cache.get(node.id);
    if (cached !== undefined) return cached;
    cache.set(node.id, new Set()); // a cycle (its own finding) contributes nothing
    const result = compute();
    cache.set(node.id, result);
    return result;
  }
}

/** Providers of `group` that `consumer` reaches through dependencies but does not wait for. */
function reachedProviders(reach: Reach, consumer: GraphNode, providers: GraphNode[]): GraphNode[] {
  const wanted = new Set(providers.map((p) => p.id));
  const seen = new Set<string>();
  const found: GraphNode[] = [];
  const queue = reach.upstream(consumer);
  while (queue.length > 0) {
    const n = queue.pop()!;
    if (seen.has(n.id)) continue;
    seen.add(n.id);
    if (wanted.has(n.id)) found.push(n);
    queue.push(...reach.upstream(n));
  }
  return found;
}

function providerIndex(context: RuleContext): { providers: Map<string, GraphNode[]>; skippers: Map<string, GraphNode[]> } {
  const providers = new Map<string, GraphNode[]>();
  const skippers = new Map<string, GraphNode[]>();
  const add = (map: Map<string, GraphNode[]>, g: string, n: GraphNode) => {
    const list = map.get(g) ?? [];
    if (!list.includes(n)) list.push(n);
    map.set(g, list);
  };
  for (const n of context.nodes) {
    for (const g of n.providesGroups) add(providers, g, n);
    for (const h of n.helmReleases) for (const g of h.skipped) add(skippers, g, n);
  }
  return { providers, skippers };
}

/**
 * The ordering rules, run in one pass over each consumer's groups so that each missing CRD is
 * reported once, under the finding that names its cause.
 */
export const crdOrdering: Rule = (context) => {
  const reach = new Reach(context);
  const { providers, skippers } = providerIndex(context);
  const maybes = maybeProviders(context);
  const findings: Finding[] = [];
  const notReady = new Map<string, { provider: GraphNode; consumers: Set<string>; groups: Set<string> }>();
  const skipped = new Map<string, { provider: GraphNode; consumers: Set<string>; groups: Set<string>; unsure: boolean }>();
  const seen = new Set<string>();
  for (const consumer of context.nodes) {
    if (seen.has(consumer.id)) continue; // duplicates are reported once, by their own rule
    seen.add(consumer.id);
    const available = reach.availableTo(consumer);
    for (const group of consumer.consumesGroups) {
      if (context.presentGroups.has(group) || consumer.crdGroups.includes(group) || available.has(group)) continue;
      const own = consumer.helmReleases.find((h) => h.groups.includes(group));
      if (own !== undefined) {
        // CRDs of the group may already come from upstream (a remote resource or source not read): then a warning.
        findings.push(withChartBasis(crsWithTheirHelmRelease(consumer, group, own.object.name, own.chart, upstreamUnsure(reach, consumer)), [consumer], group));
        continue;
      }
      // A Kustomization with spec.kubeConfig applies to another cluster: only providers there count.
      const candidates = (providers.get(group) ?? []).filter((p) => p.id !== consumer.id && targetCluster(p) === targetCluster(consumer));
      const reached = candidates.length === 0 ? [] : reachedProviders(reach, consumer, candidates);
      if (reached.length > 0) {
        for (const p of reached) {
          const entry = notReady.get(p.id) ?? { provider: p, consumers: new Set(), groups: new Set() };
          entry.consumers.add(consumer.id);
          entry.groups.add(group);
          notReady.set(p.id, entry);
        }
      } else if (candidates.length > 0) {
        findings.push(withChartBasis(consumerWithoutProvider(consumer, group, candidates, reach.unsureUpstream(consumer) || context.bootstrapUnsure || maybeUpstream(reach, consumer, group, maybes)), candidates, group));
      } else if ((maybes.get(group) ?? []).length > 0) {
        const perhaps = maybes.get(group)!.filter((p) => p.id !== consumer.id && targetCluster(p) === targetCluster(consumer));
        if (perhaps.length > 0 && reachedProviders(reach, consumer, perhaps).length === 0) {
          findings.push(withChartBasis(consumerWithoutProvider(consumer, group, perhaps, true), perhaps, group));
        }
      } else if ((skippers.get(group) ?? []).length > 0) {
        for (const p of skippers.get(group)!) {
          const entry = skipped.get(p.id) ?? { provider: p, consumers: new Set(), groups: new Set(), unsure: context.bootstrapUnsure };
          // The CRDs may come from what this check cannot see upstream of the consumer or the skipper.
          if (reach.unsureUpstream(consumer) || reach.unsureUpstream(p)) entry.unsure = true;
          entry.consumers.add(consumer.id);
          entry.groups.add(group);
          skipped.set(p.id, entry);
        }
      } else {
        findings.push(unknownGroup(consumer, group));
      }
    }
  }
  for (const { provider, consumers, groups } of notReady.values()) findings.push(providerNotReady(context, provider, consumers, groups));
  for (const { provider, consumers, groups, unsure } of skipped.values()) findings.push(crdsSkipped(provider, consumers, groups, unsure));
  return findings;
};

/**
 * Kustomizations whose charts install a group only under a condition this check cannot decide
 * (a value from a valuesFrom it cannot read, a `.Capabilities` probe): they may provide it.
 */
function maybeProviders(context: RuleContext): Map<string, GraphNode[]> {
  const out = new Map<string, GraphNode[]>();
  for (const n of context.nodes) {
    for (const h of n.helmReleases) {
      for (const g of h.chartInfo?.maybe ?? []) {
        const list = out.get(g) ?? [];
        if (!list.includes(n)) list.push(n);
        out.set(g, list);
      }
    }
  }
  return out;
}

/** Whether what the consumer depends on (not the consumer itself) hides what it installs. */
function upstreamUnsure(reach: Reach, consumer: GraphNode): boolean {
  return reach.upstream(consumer).some((n) => n.id !== consumer.id && reach.unsureUpstream(n));
}

/** Whether a chart upstream of the consumer may install the group: the finding about it is then a warning. */
function maybeUpstream(reach: Reach, consumer: GraphNode, group: string, maybes: Map<string, GraphNode[]>): boolean {
  const perhaps = maybes.get(group);
  return perhaps !== undefined && reachedProviders(reach, consumer, perhaps).length > 0;
}

/**
 * Says what a finding rests on: the chart read ("cert-manager v1.16.2 (https://..., sha256:...):
 * templates/crds.yaml when `crds.enabled` (true here)") or the hand-kept table.
 */
function withChartBasis(finding: Finding, providers: GraphNode[], group: string): Finding {
  const parts: string[] = [];
  for (const p of providers) {
    for (const h of p.helmReleases) {
      const info = h.chartInfo;
      if (info === undefined || info.basis === "" || (!h.groups.includes(group) && !info.maybe.includes(group))) continue;
      const because = info.because[group];
      parts.push(`HelmRelease ${h.object.name}: ${info.basis}${because === undefined ? "" : `: ${because}`}`);
    }
  }
  return parts.length === 0 ? finding : { ...finding, message: `${finding.message} [rests on ${parts.join("; ")}]` };
}

/** The cluster a Kustomization applies to: "" for this one, the kubeConfig secret for a remote one. */
function targetCluster(node: GraphNode): string {
  const kubeConfig = node.spec.kubeConfig;
  if (kubeConfig === undefined || kubeConfig === null || typeof kubeConfig !== "object") return "";
  const ref = (kubeConfig as { secretRef?: { name?: unknown } }).secretRef;
  return `${node.namespace}/${typeof ref?.name === "string" ? ref.name : JSON.stringify(kubeConfig)}`;
}

function objectsOfGroup(consumer: GraphNode, group: string): string {
  const kinds = [...new Set(consumer.objects.filter((o) => o.group === group).map((o) => o.kind))];
  return `${kinds.join(", ")} (${group})`;
}

/** The headline: custom resources applied with no dependency on the Kustomization that installs their CRDs. */
function consumerWithoutProvider(consumer: GraphNode, group: string, providers: GraphNode[], unsure: boolean): Finding {
  const names = providers.map((p) => `${p.id} (${p.source.file}:${p.source.line})`).join(", ");
  const entries = providers.map((p) => `\`${dependsOnEntry(p, consumer.namespace)}\``);
  return findingAt(
    "consumer-without-provider", unsure ? "warning" : "error", consumer,
    `${consumer.id} applies ${objectsOfGroup(consumer, group)} but does not depend on ${providers.length > 1 ? "any of " : ""}${names}, which install${providers.length > 1 ? "" : "s"} those CRDs: its dry run fails with "no matches for kind" until they exist${unsure ? " (a source this check cannot read may provide them)" : ""}`,
    `add ${entries.join(" or ")} to spec.dependsOn of ${consumer.id} (${consumer.source.file}:${consumer.source.line})`,
  );
}

/** A dependency on a provider that is Ready before its chart is installed: the consumer races it. */
function providerNotReady(context: RuleContext, provider: GraphNode, consumers: Set<string>, groups: Set<string>): Finding {
  const parent = provider.parent === undefined ? undefined : context.byId.get(provider.parent);
  const releases = provider.helmReleases.filter((h) => h.groups.some((g) => groups.has(g)));
  const checks = releases.filter((h) => !h.waited).map((h) => `{kind: HelmRelease, name: ${h.object.name}, namespace: ${h.object.namespace ?? provider.namespace}}`);
  const fix = releases.some((h) => !h.waited)
    ? `set \`wait: true\` in spec of ${provider.id} (${provider.source.file}:${provider.source.line}), or add healthChecks ${checks.join(", ")}`
    : parent !== undefined
      ? `set \`wait: true\` in spec of ${parent.id} (${parent.source.file}:${parent.source.line}), which applies ${provider.id}, or depend on ${provider.id} directly`
      : `depend on ${provider.id} directly and let it wait for its objects`;
  return findingAt(
    "provider-not-ready", "warning", provider,
    `${[...consumers].join(", ")} depend${consumers.size > 1 ? "" : "s"} on ${provider.id} for ${[...groups].join(", ")}, but ${provider.id} is Ready as soon as it is applied, before its CRDs exist: the dependents race the chart install`,
    fix,
  );
}

/** The same Kustomization applies a chart and custom resources of its CRDs: its dry run fails, the chart never installs. */
function crsWithTheirHelmRelease(consumer: GraphNode, group: string, release: string, chart: string | undefined, unsure = false): Finding {
  return findingAt(
    "crs-with-their-helmrelease", unsure ? "warning" : "error", consumer,
    `${consumer.id} applies HelmRelease ${release}${chart === undefined ? "" : ` (chart ${chart})`} and ${objectsOfGroup(consumer, group)}, whose CRDs that chart installs: the dry run of the whole Kustomization fails, so the HelmRelease is never applied either`,
    `move the ${group} resources to a separate Kustomization with \`- name: ${consumer.name}\` in spec.dependsOn, and set \`wait: true\` on ${consumer.id}`,
  );
}

/** `install.crds: Skip` on the only provider of a group that Kustomizations use. */
function crdsSkipped(provider: GraphNode, consumers: Set<string>, groups: Set<string>, unsure: boolean): Finding {
  const releases = provider.helmReleases.filter((h) => h.skipped.some((g) => groups.has(g))).map((h) => h.object.name);
  return findingAt(
    "crds-skipped", unsure ? "warning" : "error", provider,
    `HelmRelease ${releases.join(", ")} in ${provider.id} sets install.crds: Skip, so nothing this check reads installs ${[...groups].join(", ")}, which ${[...consumers].join(", ")} use${consumers.size > 1 ? "" : "s"}${unsure ? " (a remote resource, an unread source or a bootstrap step may install them)" : ""}`,
    `remove \`install.crds: Skip\` (the default is Create) from HelmRelease ${releases.join(", ")}, or declare the groups pre-installed if a bootstrap step installs the CRDs`,
  );
}

/** A group no Kustomization provides and the chart table does not know: a warning, never an error. */
function unknownGroup(consumer: GraphNode, group: string): Finding {
  return findingAt(
    "unknown-group", "warning", consumer,
    `${consumer.id} applies ${objectsOfGroup(consumer, group)}, but no Kustomization of this cluster installs CRDs of ${group} that this check knows of`,
    `add the chart that installs ${group} to the providers table (--providers FILE or stack config gitopsProviders), or declare ${group} pre-installed`,
  );
}
