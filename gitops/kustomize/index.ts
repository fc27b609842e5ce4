/**
 * What a path applies, split by concern as fluxcd/pkg splits its builder:
 * - sourceignore.ts: what source-controller leaves out of the artifact;
 * - generator.ts: the kustomization Flux generates for a directory without one;
 * - build.ts: kustomization files: resources, components, transformer order;
 * - patches.ts, selector.ts: strategic merge and JSON 6902 patches, targets and label selectors;
 * - transformers.ts: namespace, name prefix/suffix, labels, annotations, replicas, images;
 * - configmaps.ts: ConfigMap/Secret generators and their content hash;
 * - varsub.ts: Flux post-build variables.
 */
export { climbsAboveRoot, fluxPath, Resolution, resolvePath, securelyJoined } from "./build";
export { KUSTOMIZATION_FILE_NAMES, kustomizationFileIn } from "./generator";
export { applyPatches, fluxSpecPatches, Patch } from "./patches";
export { ResolveOptions } from "../read/sourceignore";
export { withNamespace } from "./transformers";
export { VariableUse, variableUses } from "./varsub";
