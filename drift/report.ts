/**
 * The drift report: the cloud side (a refreshed preview) and the repository side (the ordering
 * verdict and the overlay check) brought to one verdict, as text or JSON.
 */
import { Finding } from "../gitops/model";
import { CloudCheck } from "./cloud";
import { PropertyChange, UNKNOWN_DISPLAY } from "./preview";

/** An overlay whose node role value is not the one the stack expects. */
export type { OverlayDifference } from "../gitops/edit/overlays";
import type { OverlayDifference } from "../gitops/edit/overlays";

export interface RepositoryCheck {
  /** The repository and cluster path checked, for the report. */
  repo?: string;
  cluster?: string;
  ordering: { errors: number; warnings: number; findings: Finding[] };
  overlays: { checked: boolean; differences: OverlayDifference[]; note?: string };
  /** Why the repository could not be checked (settings or repository unreadable). */
  problem?: string;
}

export type Verdict = "no-drift" | "drift" | "unknown";

export interface DriftReport {
  stack: string;
  cli: { available: boolean; command: string };
  cloud: CloudCheck;
  repository: RepositoryCheck;
  verdict: Verdict;
  reasons: string[];
}

export const EXIT_CODE: Record<Verdict, number> = { "no-drift": 0, drift: 1, unknown: 2 };

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * Drift found anywhere wins over "could not tell" elsewhere: a known difference must fail the
 * scheduled job even when another side could not be checked. Only when nothing differs and some
 * side is unchecked is the answer "unknown".
 */
export function decideVerdict(cloud: CloudCheck, repository: RepositoryCheck): { verdict: Verdict; reasons: string[] } {
  const drift: string[] = [];
  const unknown: string[] = [];
  if (cloud.problem) unknown.push(`cloud not checked: ${cloud.problem.message}`);
  else if (cloud.drift) drift.push(`cloud: ${plural(cloud.resources.length, "resource")} would change (${formatSummary(cloud.summary)})`);
  if (repository.problem) {
    unknown.push(`repository not checked: ${repository.problem}`);
  } else {
    if (repository.ordering.errors > 0) {
      drift.push(`repository: ${plural(repository.ordering.errors, "ordering error")} in ${repository.cluster ?? "the cluster path"}`);
    }
    if (repository.overlays.differences.length > 0) {
      drift.push(`repository: ${plural(repository.overlays.differences.length, "overlay value")} differ from the node role`);
    }
    if (!repository.overlays.checked) unknown.push(`overlays not checked: ${repository.overlays.note ?? "no reason given"}`);
  }
  const verdict: Verdict = drift.length > 0 ? "drift" : unknown.length > 0 ? "unknown" : "no-drift";
  return { verdict, reasons: [...drift, ...unknown] };
}

export function formatSummary(summary: Record<string, number>): string {
  const parts = Object.entries(summary).filter(([op, n]) => op !== "same" && n > 0).map(([op, n]) => `${n} to ${op}`);
  return parts.length > 0 ? parts.join(", ") : "no changes";
}

const MAX_VALUE_WIDTH = 60;

/** One value for the table: JSON, cut to a width; absent values are shown as such. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "(none)";
  if (value === UNKNOWN_DISPLAY) return value;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_WIDTH ? `${text.slice(0, MAX_VALUE_WIDTH - 1)}…` : text;
}

function formatChange(change: PropertyChange): string {
  return `${formatValue(change.old)} → ${formatValue(change.new)}`;
}

/** Fixed-width columns; the last column is left ragged. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

function cloudLines(report: DriftReport): string[] {
  const { cloud } = report;
  const lines = [`Cloud and cluster: ${report.cli.available ? report.cli.command : "not checked"}`];
  if (cloud.problem) lines.push(`  could not tell: ${cloud.problem.message}`);
  if (cloud.checked && !cloud.drift) lines.push("  every resource matches the program");
  if (cloud.resources.length > 0) {
    const rows: string[][] = [];
    for (const resource of cloud.resources) {
      const [first, ...rest] = resource.properties;
      rows.push([resource.op, resource.type, resource.name, first?.path ?? "", first ? formatChange(first) : ""]);
      for (const change of rest) rows.push(["", "", "", change.path, formatChange(change)]);
    }
    lines.push(...table(["OPERATION", "TYPE", "NAME", "PROPERTY", "OLD → NEW"], rows).map((l) => `  ${l}`));
    lines.push(`  summary: ${formatSummary(cloud.summary)}`);
  }
  return lines;
}

function repositoryLines(repository: RepositoryCheck): string[] {
  const where = repository.repo ? ` ${repository.repo}${repository.cluster ? `, ${repository.cluster}` : ""}` : "";
  const lines = [`Repository:${where}`];
  if (repository.problem) return [...lines, `  could not tell: ${repository.problem}`];
  const { ordering, overlays } = repository;
  lines.push(`  ordering: ${plural(ordering.errors, "error")}, ${plural(ordering.warnings, "warning")}`);
  for (const finding of ordering.findings.filter((f) => f.severity === "error")) {
    lines.push(`    ${finding.file}:${finding.line} ${finding.rule}: ${finding.message}`);
  }
  if (!overlays.checked) {
    lines.push(`  overlays: not checked${overlays.note ? ` (${overlays.note})` : ""}`);
  } else {
    const state = overlays.differences.length === 0 ? "every namespace carries the node role" : plural(overlays.differences.length, "difference");
    lines.push(`  overlays: ${state}${overlays.note ? ` (${overlays.note})` : ""}`);
    for (const d of overlays.differences) {
      lines.push(`    ${d.file}:${d.line} namespace ${d.namespace}: ${JSON.stringify(d.have)} → ${JSON.stringify(d.want)}`);
    }
  }
  return lines;
}

export function renderDriftText(report: DriftReport): string {
  const lines = [
    `Drift check of stack ${report.stack}`,
    "",
    ...cloudLines(report),
    "",
    ...repositoryLines(report.repository),
    "",
    `Verdict: ${report.verdict}`,
    ...report.reasons.map((r) => `  - ${r}`),
  ];
  return `${lines.join("\n")}\n`;
}

export function renderDriftJson(report: DriftReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
