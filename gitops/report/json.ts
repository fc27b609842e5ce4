import { Finding, KustomizationNode, Unresolved, VerifyResult } from "../model";

/**
 * The JSON report's shape: a published contract for scripts and CI, so it is spelled out here
 * rather than being whatever the in-memory model happens to hold. Absent values are `null`, never
 * missing keys.
 */
export interface JsonReport {
  repo: string;
  cluster: string;
  kustomizations: JsonKustomization[];
  findings: JsonFinding[];
  summary: { errors: number; warnings: number; kustomizations: number; objects: number; unread: number };
}

export interface JsonKustomization {
  name: string;
  namespace: string;
  file: string;
  line: number;
  path: string | null;
  /** "namespace/name" of each dependency. */
  dependsOn: string[];
  waits: boolean;
  providesGroups: string[];
  consumesGroups: string[];
  unresolved: JsonUnresolved[];
}

export interface JsonUnresolved {
  reason: string;
  ref: string;
  file: string;
  line: number;
}

export interface JsonFinding {
  rule: string;
  severity: Finding["severity"];
  /** "namespace/name", or null for a finding about no single Kustomization. */
  kustomization: string | null;
  message: string;
  file: string;
  line: number;
  fix: string;
}

function unresolvedEntry(u: Unresolved): JsonUnresolved {
  return { reason: u.reason, ref: u.ref, file: u.source.file, line: u.source.line };
}

function kustomizationEntry(k: KustomizationNode): JsonKustomization {
  return {
    name: k.name,
    namespace: k.namespace,
    file: k.source.file,
    line: k.source.line,
    path: k.path ?? null,
    dependsOn: [...k.dependsOn],
    waits: k.waits,
    providesGroups: [...k.providesGroups],
    consumesGroups: [...k.consumesGroups],
    unresolved: k.unresolved.map(unresolvedEntry),
  };
}

function findingEntry(f: Finding): JsonFinding {
  return {
    rule: f.rule,
    severity: f.severity,
    kustomization: f.kustomization ?? null,
    message: f.message,
    file: f.file,
    line: f.line,
    fix: f.fix,
  };
}

export function toJsonReport(result: VerifyResult): JsonReport {
  const { errors, warnings, kustomizations, objects, unread } = result.summary;
  return {
    repo: result.repo,
    cluster: result.cluster,
    kustomizations: result.kustomizations.map(kustomizationEntry),
    findings: result.findings.map(findingEntry),
    summary: { errors, warnings, kustomizations, objects, unread },
  };
}

/** The JSON report, pretty-printed, ending with a newline. */
export function renderJson(result: VerifyResult): string {
  return `${JSON.stringify(toJsonReport(result), null, 2)}\n`;
}
