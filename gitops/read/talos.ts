import * as path from "path";
import { parseAllDocuments } from "yaml";
import { Repo } from "./repo";
import { MAX_ALIAS_COUNT, isRecord, parseManifests } from "./yaml";

/**
 * Manifests Talos applies when it bootstraps the cluster, before Flux runs. A Talos machine
 * configuration (or a patch of one, or talhelper's `talconfig.yaml` patches) lists them under
 * `cluster`: `inlineManifests` ({name, contents}: the YAML itself) and `extraManifests` (URLs,
 * fetched by Talos). Both are applied by the control plane at bootstrap (Talos
 * `pkg/machinery/config/types/v1alpha1` ClusterConfig.ClusterInlineManifests / ExtraManifests).
 * Inline ones count at once; URLs are remote inputs, read from the lock like any other.
 */

/** One `cluster:` block found in a file, with where it was. */
export interface TalosManifests {
  file: string;
  /** CRD groups the inline manifests define. */
  inlineGroups: string[];
  /** Names of the inline manifests (for the report). */
  inlineNames: string[];
  extraUrls: string[];
}

const MARKER = /^\s*-?\s*(inlineManifests|extraManifests):/m;
const SKIP_DIRS = new Set([".git", "node_modules", ".github", "vendor"]);

function clusterBlocks(data: unknown, out: Record<string, unknown>[]): void {
  if (!isRecord(data)) return;
  if (isRecord(data.cluster)) out.push(data.cluster);
  // talhelper: patches (strings of YAML, or maps) at the top, under controlPlane/worker, per node.
  const patchLists = [data.patches, isRecord(data.controlPlane) ? data.controlPlane.patches : undefined,
    isRecord(data.worker) ? data.worker.patches : undefined,
    ...(Array.isArray(data.nodes) ? data.nodes.map((n) => (isRecord(n) ? n.patches : undefined)) : [])];
  for (const list of patchLists) {
    for (const p of Array.isArray(list) ? list : []) {
      if (typeof p === "string" && !p.startsWith("@")) {
        for (const doc of safeDocuments(p)) clusterBlocks(doc, out);
      } else if (isRecord(p)) clusterBlocks(p, out);
    }
  }
}

function safeDocuments(text: string): unknown[] {
  try {
    return parseAllDocuments(text).flatMap((d) => (d.errors.length > 0 ? [] : [d.toJS({ maxAliasCount: MAX_ALIAS_COUNT })]));
  } catch {
    return [];
  }
}

/** What one file's Talos `cluster:` blocks apply at bootstrap; undefined when it has none. */
export function readTalosFile(file: string, text: string): TalosManifests | undefined {
  if (!MARKER.test(text)) return undefined;
  const blocks: Record<string, unknown>[] = [];
  for (const doc of safeDocuments(text)) clusterBlocks(doc, blocks);
  const result: TalosManifests = { file, inlineGroups: [], inlineNames: [], extraUrls: [] };
  for (const cluster of blocks) {
    for (const m of Array.isArray(cluster.inlineManifests) ? cluster.inlineManifests : []) {
      if (!isRecord(m) || typeof m.contents !== "string") continue;
      if (typeof m.name === "string") result.inlineNames.push(m.name);
      try {
        for (const o of parseManifests(m.contents, file)) {
          if (o.kind === "CustomResourceDefinition" && isRecord(o.body.spec) && typeof o.body.spec.group === "string") result.inlineGroups.push(o.body.spec.group);
        }
      } catch {
        // Contents that are not Kubernetes YAML define nothing this check can name.
      }
    }
    for (const u of Array.isArray(cluster.extraManifests) ? cluster.extraManifests : []) {
      if (typeof u === "string" && /^https?:\/\//.test(u)) result.extraUrls.push(u);
    }
  }
  if (result.inlineNames.length === 0 && result.extraUrls.length === 0) return undefined;
  result.inlineGroups = [...new Set(result.inlineGroups)].sort();
  return result;
}

/** Talos configurations anywhere in the repository (talconfig.yaml, machine configs, patches). */
export function findTalosManifests(repo: Repo): TalosManifests[] {
  const out: TalosManifests[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 10) return;
    for (const e of repo.list(dir)) {
      if (e.isDirectory) {
        if (!SKIP_DIRS.has(e.name)) walk(e.path, depth + 1);
      } else if (/\.ya?ml$/.test(e.name) && path.posix.basename(e.path) !== "kustomization.yaml") {
        let text: string;
        try {
          text = repo.readText(e.path);
        } catch {
          continue;
        }
        const found = readTalosFile(e.path, text);
        if (found !== undefined) out.push(found);
      }
    }
  };
  walk("", 0);
  return out;
}
