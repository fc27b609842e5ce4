import { removedKubeApi } from "../flux/kube-apis";
import { Finding, K8sObject } from "../model";
import { schemaProblems, SCHEMA_FLUX_MINOR } from "../flux/schema";
import { bootstrapLeftoverKind } from "../flux/install";
import { GraphNode } from "../flux/graph";
import { Rule, RuleContext, findingAt } from "./context";
import { isSopsEncrypted } from "../flux/substitution";
import { isRecord } from "../read/yaml";

/** The command that rewrites what these rules find, as the messages name it. */
export const MIGRATE_COMMAND = "gitops-cluster migrate --repo DIR --cluster PATH --write";

function versionOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}

function describe(o: K8sObject): string {
  return `${o.kind} ${o.namespace === undefined ? "" : `${o.namespace}/`}${o.name} (${o.apiVersion})`;
}

/**
 * Which node applies an object, for the finding's `kustomization` (undefined: the root applies it).
 * The index over every object is built at the first finding, not for a repository without any.
 */
function owners(context: RuleContext): (o: K8sObject) => GraphNode | undefined {
  let byPlace: Map<string, GraphNode> | undefined;
  return (o) => {
    if (byPlace === undefined) {
      byPlace = new Map<string, GraphNode>();
      for (const n of context.nodes) {
        for (const x of n.objects) if (!byPlace.has(`${x.source.file}:${x.source.line}`)) byPlace.set(`${x.source.file}:${x.source.line}`, n);
      }
    }
    return byPlace.get(`${o.source.file}:${o.source.line}`);
  };
}

/** In stack mode, Flux's own install manifests are reported once as leftovers, not per API. */
function skipped(context: RuleContext, o: K8sObject): boolean {
  return context.flux.bootstrap === "stack" && bootstrapLeftoverKind(o) !== undefined;
}

/**
 * Objects whose apiVersion the target cluster does not serve: Flux kinds against the served
 * versions of the Flux release the cluster runs (gitops/flux/apis.ts, derived from the
 * controllers' CRDs), built-in kinds against the Kubernetes deprecated-API migration guide.
 * The API server rejects them ("no matches for kind"), so the whole Kustomization fails.
 */
export const removedApiVersion: Rule = (context) => {
  const findings: Finding[] = [];
  const { apis, fluxVersion, fluxVersionFrom, kubernetesVersion, fluxVersionKnown } = context.flux;
  // Checking a repository as committed without knowing its Flux: the stack's Flux is assumed, and
  // a repository running an older Flux today is not wrong for it, so this is a warning.
  const severity = fluxVersionKnown ? "error" : "warning";
  const assumed = fluxVersionKnown ? "" : " (assumed: the repository names no Flux version; pass --flux-version, or --stack to check it for this stack)";
  const ownerOf = owners(context);
  for (const o of context.flux.applied) {
    if (skipped(context, o)) continue;
    const flux = apis.kinds.get(`${o.group}/${o.kind}`);
    const at = o.source;
    if (flux !== undefined) {
      const version = versionOf(o.apiVersion);
      if (flux.served.includes(version)) continue;
      findings.push(findingAt(
        "removed-api-version", severity, ownerOf(o),
        `${describe(o)} at ${at.file}:${at.line}: Flux ${fluxVersion} (${fluxVersionFrom}${assumed}) serves ${o.kind} only as ` +
          `${flux.served.map((v) => `${o.group}/${v}`).join(", ")}; the API server rejects it with "no matches for kind"`,
        `run \`${MIGRATE_COMMAND}\` (it sets apiVersion: ${o.group}/${flux.storage} and converts removed fields)`,
        at,
      ));
      continue;
    }
    const removed = removedKubeApi(o.apiVersion, o.kind, kubernetesVersion ?? "1.99");
    if (removed === undefined) continue;
    findings.push(findingAt(
      "removed-api-version", severity, ownerOf(o),
      `${describe(o)} at ${at.file}:${at.line}: Kubernetes ${kubernetesVersion ?? "of this stack"} no longer serves ${o.apiVersion} ` +
        `(removed in ${removed.removedIn}); ${removed.replacement === undefined ? "the kind has no replacement" : `use ${removed.replacement}`}`,
      removed.replacement === undefined
        ? `remove the ${o.kind}: Kubernetes ${removed.removedIn} removed it without a replacement`
        : `run \`${MIGRATE_COMMAND}\`, or set apiVersion: ${removed.replacement} and check the guide's notes (https://kubernetes.io/docs/reference/using-api/deprecation-guide/)`,
      at,
    ));
  }
  return findings;
};

/**
 * Flux objects that do not fit the schema of the version that serves them: fields the API server
 * prunes (a v1 Kustomization's `patchesStrategicMerge`, a v2 HelmRelease's `valuesFile`) or
 * rejects. Only versions that are served are checked here; the others are removed-api-version.
 */
export const schemaViolation: Rule = (context) => {
  const findings: Finding[] = [];
  if (context.flux.apis.minor !== SCHEMA_FLUX_MINOR) return findings; // schemas are vendored for one minor
  const ownerOf = owners(context);
  for (const o of context.flux.applied) {
    if (skipped(context, o)) continue;
    const served = context.flux.apis.kinds.get(`${o.group}/${o.kind}`);
    if (served === undefined || !served.served.includes(versionOf(o.apiVersion))) continue;
    const encrypted = isRecord(o.body.sops);
    const body = encrypted ? withoutSopsMetadata(o.body) : o.body;
    const problems = (schemaProblems(o.group, versionOf(o.apiVersion), o.kind, body) ?? [])
      .filter((p) => !encrypted || !isSopsEncrypted(valueAtPointer(body, p.path)));
    for (const p of problems) {
      const field = p.path.replace(/^\//, "").replace(/\//g, ".");
      findings.push(findingAt(
        // Against an assumed Flux (see removedApiVersion), a schema of another release is a hint.
        "schema-violation", context.flux.fluxVersionKnown ? "error" : "warning", ownerOf(o),
        p.kind === "pruned"
          ? `${describe(o)} at ${o.source.file}:${o.source.line}: ${field} is not a field of ${o.apiVersion}; the API server prunes it and Flux never sees it`
          : `${describe(o)} at ${o.source.file}:${o.source.line}: ${field} ${p.message}; the API server rejects the object`,
        p.kind === "pruned"
          ? `run \`${MIGRATE_COMMAND}\` (it converts the fields ${o.apiVersion} removed), or move ${field} to its ${o.apiVersion} equivalent`
          : `fix ${field} as the ${o.apiVersion} schema requires`,
        o.source,
      ));
    }
  }
  return findings;
};

/**
 * An object carrying SOPS metadata as kustomize-controller applies it: decrypted, whatever its kind
 * (internal/decryptor/decryptor.go@186fb3b DecryptResource: a resource with a `sops` block is
 * decrypted as a whole and its metadata dropped), so the `sops` field is never sent. Its
 * `ENC[...]` values decrypt to what this check cannot see: the caller does not judge them.
 */
function withoutSopsMetadata(body: Record<string, unknown>): Record<string, unknown> {
  const { sops: _sops, ...rest } = body;
  return rest;
}

/** The value at a JSON pointer ("/spec/values/x"), as the schema problems name places. */
function valueAtPointer(body: unknown, pointer: string): unknown {
  let node = body;
  for (const part of pointer.split("/").slice(1)) {
    if (!isRecord(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node;
}
