import { parse } from "yaml";
import { K8sObject } from "../model";
import { CLUSTER_VARS_CONFIGMAP } from "./cluster-vars";
import { Substitution, substituteText } from "../kustomize/varsub";
import { isRecord } from "../read/yaml";

/** Looks up a ConfigMap or Secret a `substituteFrom` names, among the objects the repository applies. */
export type DataLookup = (kind: string, namespace: string, name: string) => K8sObject | undefined;

/** A value SOPS left encrypted (`ENC[AES256_GCM,data:...]`): its clear text is not known offline. */
export function isSopsEncrypted(value: unknown): boolean {
  return typeof value === "string" && value.startsWith("ENC[") && value.endsWith("]");
}

/** Where the stack's cluster-vars come from: only a stack run knows the names (item 7 of issue 20). */
export interface ClusterVarsOrigin {
  /** The names cluster-vars supplies when the stack bootstraps this cluster; undefined in committed mode. */
  names?: ReadonlySet<string>;
}

/**
 * What the post-build substitution of a Kustomization with this `spec` supplies (fluxcd/pkg
 * kustomize/kustomize_varsub.go@e2cfd1a LoadVariables, SubstituteVariables): the data of each
 * `substituteFrom` ConfigMap or Secret in the Kustomization's namespace, in order, then
 * `substitute`, which wins; newlines removed from values. In committed mode `cluster-vars` is a
 * ConfigMap like any other: made outside the repository, so unknown unless the repository holds it.
 */
export function substitutionOf(spec: Record<string, unknown>, namespace: string, lookup: DataLookup, clusterVars: ClusterVarsOrigin): Substitution & { unread: string[] } {
  const values = new Map<string, string | undefined>();
  let complete = true;
  /** The sources that cannot be read, as "Kind/name". */
  const unread: string[] = [];
  const postBuild = isRecord(spec.postBuild) ? spec.postBuild : undefined;
  if (postBuild === undefined) return { values, complete, active: false, unread };
  for (const from of Array.isArray(postBuild.substituteFrom) ? postBuild.substituteFrom : []) {
    if (!isRecord(from) || typeof from.name !== "string") continue;
    const kind = typeof from.kind === "string" ? from.kind : "ConfigMap";
    if (kind === "ConfigMap" && from.name === CLUSTER_VARS_CONFIGMAP && clusterVars.names !== undefined) {
      for (const v of clusterVars.names) values.set(v, undefined);
      continue;
    }
    const object = lookup(kind, namespace, from.name);
    if (object === undefined) {
      // Made outside the repository (Terraform, a script), or optional and absent: cannot tell.
      if (from.optional !== true) {
        complete = false;
        unread.push(`${kind}/${from.name}`);
      }
      continue;
    }
    const encrypted = isRecord(object.body.sops);
    const data = kind === "Secret" ? [object.body.data, object.body.stringData] : [object.body.data];
    for (const d of data) {
      if (!isRecord(d)) continue;
      for (const [k, v] of Object.entries(d)) {
        if (typeof v !== "string" || encrypted || isSopsEncrypted(v)) values.set(k, undefined);
        else values.set(k, (d === object.body.data && kind === "Secret" ? Buffer.from(v, "base64").toString("utf8") : v).replace(/\n/g, ""));
      }
    }
  }
  if (isRecord(postBuild.substitute)) {
    for (const [k, v] of Object.entries(postBuild.substitute)) values.set(k, typeof v === "string" ? v.replace(/\n/g, "") : undefined);
  }
  const always = postBuild.substituteStrategy === "Always";
  return { values, complete, active: values.size > 0 || !complete || always, unread };
}

/** Objects labelled or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` are left as they are. */
export function substitutionDisabled(o: K8sObject): boolean {
  const meta = isRecord(o.body.metadata) ? o.body.metadata : {};
  const annotations = isRecord(meta.annotations) ? meta.annotations : {};
  const labels = isRecord(meta.labels) ? meta.labels : {};
  return annotations["kustomize.toolkit.fluxcd.io/substitute"] === "disabled" || labels["kustomize.toolkit.fluxcd.io/substitute"] === "disabled";
}

/** A whole-value expression: after substitution its text is read again as YAML and may change type. */
const WHOLE_EXPRESSION = /^\$\{[_a-zA-Z][_a-zA-Z0-9]*[^}]*\}$/;

function substituteValue(value: unknown, substitution: Substitution): unknown {
  if (typeof value === "string") {
    if (!value.includes("${")) return value;
    const text = substituteText(value, substitution);
    // Flux substitutes the object's YAML and reads it back (varSubstitution: yaml.YAMLToJSON), where
    // a plain `${FLAG}` that became `true` is a boolean and one that became empty is null.
    if (WHOLE_EXPRESSION.test(value) && !text.includes("\n")) {
      try {
        const reread: unknown = parse(text, { version: "1.1" });
        if (reread === null || typeof reread === "boolean" || typeof reread === "number") return reread;
      } catch {
        return text;
      }
    }
    return text;
  }
  if (Array.isArray(value)) return value.map((v) => substituteValue(v, substitution));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [substituteText(k, substitution), substituteValue(v, substitution)]));
  }
  return value;
}

/**
 * The object as the Kustomization applying it writes it: its post-build substitution run over the
 * whole object, once (kustomize-controller internal/controller/kustomization_controller.go@186fb3b
 * build(): SubstituteVariables on every resource). A child Kustomization is thus created with its
 * parent's values already in its patches, its `substitute` values and its path.
 */
export function substitutedObject(o: K8sObject, substitution: Substitution): K8sObject {
  if (!substitution.active || substitutionDisabled(o)) return o;
  const body = substituteValue(o.body, substitution) as Record<string, unknown>;
  const meta = isRecord(body.metadata) ? body.metadata : {};
  return {
    ...o,
    body,
    name: typeof meta.name === "string" ? meta.name : o.name,
    namespace: typeof meta.namespace === "string" ? meta.namespace : o.namespace,
  };
}
