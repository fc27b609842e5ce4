import { Finding, K8sObject } from "../model";
import { CLUSTER_VARS_CONFIGMAP } from "../flux/cluster-vars";
import { GraphNode } from "../flux/graph";
import { VariableUse, variableUses } from "../kustomize";
import { Rule, RuleContext, findingAt } from "./context";
import { DataLookup, substitutionDisabled, substitutionOf } from "../flux/substitution";
import { isRecord } from "../read/yaml";

/** A variable use, and whether what it changes is only text nothing runs (a CRD's description). */
type Use = VariableUse & { inert: boolean };

/** Files whose lines starting with `#` are comments: a ConfigMap or Secret key named like one holds such a file. */
const HASH_COMMENTED_FILE = /\.(?:ya?ml|toml|conf|cfg|ini|sh|py|properties)$/;

/**
 * Every variable use in an object's strings (keys included: Flux substitutes the serialized YAML).
 * `inert`: where an emptied variable changes what people read and nothing a controller or a
 * container does: below a `description` key of a CustomResourceDefinition, or on a comment line of
 * a configuration file held in a ConfigMap or Secret (`config.yaml: "# path: ${DIR}/x"`).
 */
function usesIn(value: unknown, out: Use[], inert: boolean, inCrd: boolean, key = ""): Use[] {
  // Most strings hold no `${`: tested here, so that they cost no call and no empty list.
  if (typeof value === "string") {
    if (!value.includes("${")) return out;
    if (!HASH_COMMENTED_FILE.test(key) || inert) {
      for (const use of variableUses(value)) out.push({ ...use, inert });
    } else {
      for (const line of value.split("\n")) {
        if (line.includes("${")) for (const use of variableUses(line)) out.push({ ...use, inert: /^\s*#/.test(line) });
      }
    }
  } else if (Array.isArray(value)) {
    for (const v of value) usesIn(v, out, inert, inCrd);
  } else if (isRecord(value)) {
    for (const k of Object.keys(value)) {
      if (k.includes("${")) for (const use of variableUses(k)) out.push({ ...use, inert });
      usesIn(value[k], out, inert || (inCrd && k === "description"), inCrd, k);
    }
  }
  return out;
}

/** What a Kustomization's postBuild supplies; `complete` is false when a source cannot be read. */
interface Supply {
  /** Whether Flux substitutes at all (a postBuild with at least one variable, or strategy Always). */
  hasPostBuild: boolean;
  names: Set<string>;
  complete: boolean;
  /** The substituteFrom sources that cannot be read ("Kind/name"). */
  unread: string[];
  fromClusterVars: boolean;
}

/** ConfigMaps and Secrets the repository applies, by "Kind/namespace/name". */
function dataObjects(context: RuleContext): DataLookup {
  const objects = new Map<string, K8sObject>();
  const add = (o: K8sObject, namespace: string) => {
    if (o.group === "" && (o.kind === "ConfigMap" || o.kind === "Secret")) objects.set(`${o.kind}/${o.namespace ?? namespace}/${o.name}`, o);
  };
  for (const o of context.clusterObjects) add(o, "default");
  for (const n of context.nodes) for (const o of n.objects) add(o, n.namespace);
  return (kind, namespace, name) => objects.get(`${kind}/${namespace}/${name}`);
}

function supplyOf(node: GraphNode, context: RuleContext, lookup: DataLookup): Supply {
  const substitution = substitutionOf(node.spec, node.namespace, lookup, context.bootstrap === "stack" ? { names: context.clusterVars } : {});
  const postBuild = isRecord(node.spec.postBuild) ? node.spec.postBuild : {};
  const fromClusterVars = (Array.isArray(postBuild.substituteFrom) ? postBuild.substituteFrom : [])
    .some((from) => isRecord(from) && from.name === CLUSTER_VARS_CONFIGMAP && (from.kind ?? "ConfigMap") === "ConfigMap");
  return { hasPostBuild: substitution.active, names: new Set(substitution.values.keys()), complete: substitution.complete, unread: substitution.unread, fromClusterVars };
}

/**
 * `${VAR}` that Flux's post-build substitution would leave unreplaced
 * (https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution):
 * without `spec.postBuild` the text stays literally `${VAR}`; with it, an undefined variable
 * without a default becomes an empty string. `$${VAR}` is an escape, `${VAR:=x}` has a default.
 */
export const unsubstitutedVariable: Rule = (context) => {
  const keys = dataObjects(context);
  const findings: Finding[] = [];
  // The root that really runs: this stack's substitutes from cluster-vars; a committed one as written
  // (gotk-sync.yaml, a FluxInstance's patches); none committed means no substitution at all.
  const rootSupply: Supply = context.bootstrap === "stack"
    ? { hasPostBuild: true, names: new Set(context.clusterVars), complete: true, unread: [], fromClusterVars: true }
    : supplyOf(context.root, context, keys);
  check(context.root.objects, undefined, rootSupply, context, findings);
  const seen = new Set<string>([context.root.id]);
  for (const node of context.nodes) {
    if (seen.has(node.id)) continue;
    seen.add(node.id);
    check(node.objects, node, supplyOf(node, context, keys), context, findings);
  }
  return findings;
};

function check(objects: K8sObject[], node: GraphNode | undefined, supply: Supply, context: RuleContext, findings: Finding[]): void {
  const where = node === undefined
    ? context.bootstrap === "stack" ? "the cluster path (substituted by the bootstrap from cluster-vars)" : `the root ${context.root.id} that applies the cluster path`
    : node.id;
  for (const o of objects) {
    if (substitutionDisabled(o)) continue;
    const reported = new Set<string>();
    const isCrd = o.kind === "CustomResourceDefinition" && o.group === "apiextensions.k8s.io";
    // A use that changes something counts first, so a name used in both places is reported as an effect.
    const uses = usesIn(o.body, [], false, isCrd).sort((a, b) => Number(a.inert) - Number(b.inert));
    for (const use of uses) {
      if (use.hasDefault || supply.names.has(use.name) || reported.has(use.name)) continue;
      reported.add(use.name);
      // Only the stack's bootstrap gives cluster variables; committed, a name is a name.
      const isClusterVar = context.bootstrap === "stack" && context.clusterVars.has(use.name);
      const object = `${o.kind} ${o.namespace === undefined ? "" : `${o.namespace}/`}${o.name}`;
      let severity: "error" | "warning" | "note";
      let message: string;
      let fix: string;
      if (node === undefined && !supply.hasPostBuild) {
        // The committed root substitutes nothing: the text is applied as written, often on purpose
        // (a shell script in a ConfigMap, a CRD description). Only say so.
        severity = "note";
        message = `${object} uses \${${use.name}}, but ${where} has no spec.postBuild (as committed): Flux applies the text unreplaced`;
        fix = `nothing to fix if the text is meant literally; bootstrapped by this stack (--bootstrap stack) the root substitutes from ${CLUSTER_VARS_CONFIGMAP}`;
      } else if (node !== undefined && !supply.hasPostBuild) {
        // Without postBuild Flux substitutes nothing: a literal `${X}` may be intended (a shell script), a cluster variable is not.
        severity = isClusterVar ? "error" : "warning";
        message = `${object} uses \${${use.name}}, but ${where} has no spec.postBuild: Flux applies the text \${${use.name}} unreplaced`;
        fix = isClusterVar
          ? `add \`postBuild: {substituteFrom: [{kind: ConfigMap, name: ${CLUSTER_VARS_CONFIGMAP}}]}\` to spec of ${node.id} (${node.source.file}:${node.source.line})`
          : `add \`postBuild.substitute: {${use.name}: ...}\` to ${node.id}, or write $\${${use.name}} if the text is meant literally`;
      } else {
        severity = supply.complete ? "error" : "warning";
        message = supply.complete
          ? `${object} uses \${${use.name}}, which ${where} does not define: Flux replaces it with an empty string`
          : `${object} uses \${${use.name}}, which ${where} does not define in any source this check can read (${supply.unread.join(", ")} ${supply.unread.length === 1 ? "is" : "are"} made outside the repository): unless ${supply.unread.length === 1 ? "it defines" : "they define"} it, Flux replaces it with an empty string`;
        fix = isClusterVar && node !== undefined && !supply.fromClusterVars
          ? `add \`{kind: ConfigMap, name: ${CLUSTER_VARS_CONFIGMAP}}\` to spec.postBuild.substituteFrom of ${node.id} (${node.source.file}:${node.source.line})`
          : `${supply.complete ? "" : `nothing to fix if ${supply.unread.join(" or ")} defines ${use.name}; otherwise `}define ${use.name} in ${definedWhere(node, context)}, give it a default (\${${use.name}:=value}), or escape it as $\${${use.name}}`;
      }
      if (use.inert && severity !== "note") {
        // Effects, not text: an emptied `${X}` in a CRD's description or a file's comment changes no behaviour.
        severity = "note";
        message += isCrd
          ? "; it is only in a description of the CRD's schema, so nothing that runs changes"
          : "; it is only on a comment line of a configuration file, so nothing that runs changes";
        fix = `nothing to fix; or write $\${${use.name}} to keep the text as written`;
      }
      const finding = findingAt("unsubstituted-variable", severity, node, message, fix, o.source);
      findings.push(node === undefined ? { ...finding, kustomization: context.root.id } : finding);
    }
  }
}

/** Where a variable the Kustomization substitutes is defined: the root's, for the cluster path's objects. */
function definedWhere(node: GraphNode | undefined, context: RuleContext): string {
  if (node !== undefined) return `spec.postBuild.substitute of ${node.id}`;
  if (context.bootstrap === "stack") return `the ${CLUSTER_VARS_CONFIGMAP} ConfigMap (stack settings)`;
  return `spec.postBuild.substitute of the root ${context.root.id} (${context.root.source.file}:${context.root.source.line})`;
}
