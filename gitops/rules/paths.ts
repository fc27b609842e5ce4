import { Finding } from "../model";
import { Rule, findingAt } from "./context";

/**
 * Paths Flux cannot build: a Kustomization without `spec.path` (Flux then applies the whole
 * source root, every cluster's directory included), a `spec.path` or a kustomization reference
 * that does not exist, or a directory resource without a kustomization file (kustomize refuses it;
 * only the top of `spec.path` gets a generated one).
 *
 * No rule about `.yml`: Flux's generator includes `.yaml` and `.yml` alike
 * (https://github.com/fluxcd/pkg/blob/main/kustomize/kustomize_generator.go) and kustomize's
 * `resources:` takes any file name, so the seed's "kustomize misses .yml" is not true of either.
 */
export const missingPath: Rule = (context) => {
  const findings: Finding[] = [];
  for (const node of context.nodes) {
    for (const u of node.unresolved) {
      if (u.reason === "missing-path" && u.ref === "(spec.path not set)") {
        findings.push(findingAt(
          "missing-path", "error", node,
          `${node.id} has no spec.path: Flux applies the whole root of ${node.sourceRef ?? "its source"}, every cluster directory included`,
          `set spec.path of ${node.id} (${node.source.file}:${node.source.line}) to the directory it should apply, e.g. ./infrastructure/...`,
        ));
      } else if (u.reason === "missing-path") {
        const inKustomization = u.source.file !== node.source.file || u.source.line !== node.source.line;
        findings.push(findingAt(
          "missing-path", "error", node,
          inKustomization
            ? `${u.source.file} refers to ${u.ref}, which does not exist in the repository: the build of ${node.id} fails`
            : `spec.path ${u.ref} of ${node.id} does not exist in the repository: Flux reports "kustomization path not found"`,
          inKustomization ? `fix or remove the reference ${u.ref} in ${u.source.file}:${u.source.line}` : `point spec.path of ${node.id} at an existing directory, or add the directory`,
          u.source,
        ));
      } else if (u.reason === "kustomize-error") {
        // The real kustomize fails too (each such reason is checked against kubectl kustomize), unless
        // the build holds a feature this check does not model: an inline NamespaceTransformer, say,
        // gives the objects the namespaces that keep their ids apart (chrede88/home-ops).
        const unmodelled = node.unresolved.filter((x) => x.reason === "unsupported-kustomize");
        findings.push(findingAt(
          "build-failed", unmodelled.length === 0 ? "error" : "warning", node,
          unmodelled.length === 0
            ? `kustomize fails to build ${node.id}: ${u.ref}; Flux reports BuildFailed and applies nothing of it`
            : `kustomize may fail to build ${node.id}: ${u.ref}, as this check builds it without ${[...new Set(unmodelled.map((x) => x.ref))].slice(0, 3).join(", ")} (${unmodelled[0].source.file}:${unmodelled[0].source.line}), which it does not model; if it does, Flux reports BuildFailed and applies nothing of it`,
          unmodelled.length === 0
            ? `correct ${u.source.file}:${u.source.line}; \`kubectl kustomize\` of its directory fails the same way`
            : `run \`kubectl kustomize\` on ${u.source.file}: if it builds, nothing to fix`,
          u.source,
        ));
      } else if (u.reason === "not-a-kustomization") {
        findings.push(findingAt(
          "missing-path", "error", node,
          `${u.source.file} refers to directory ${u.ref}, which has no kustomization.yaml: kustomize refuses it and the build of ${node.id} fails`,
          `add a kustomization.yaml listing the manifests of ${u.ref}, or list its files in ${u.source.file}`,
          u.source,
        ));
      }
    }
  }
  return findings;
};

/** What could not be read offline, so the report says what was not checked. */
export const unresolvedReference: Rule = (context) => {
  const findings: Finding[] = [];
  for (const node of context.nodes) {
    for (const u of node.unresolved) {
      // Paths outside the source root are summed up by one finding that names the real root.
      if (u.reason === "missing-path" || u.reason === "not-a-kustomization" || u.reason === "outside-source-root" || u.reason === "kustomize-error") continue;
      findings.push(findingAt(
        "unresolved-reference", "note", node,
        u.reason === "external-source" && node.sourceNotes.length > 0
          ? `${node.id}: its source ${u.ref} is not read (${node.sourceNotes.join("; ")}); what it applies is not checked`
          : `${node.id}: ${u.reason} ${u.ref} cannot be read offline; what it applies is not checked`,
        u.reason === "external-source" ? `map it to a local directory with --source ${u.ref}=DIR (stack setting gitops.sources), or point the Kustomization at the cluster's own source`
          : `nothing to fix if ${u.ref} is intended`,
        u.source,
      ));
    }
  }
  return findings;
};
