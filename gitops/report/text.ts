import { Finding, Severity, VerifyResult } from "../model";

/** "1 error", "2 errors". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** A finding about no file in particular (rare) is placed at the cluster path. */
function location(finding: Finding, cluster: string): string {
  const file = finding.file || cluster;
  return finding.line > 0 ? `${file}:${finding.line}` : file;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/** Errors first (what fails the run), then by file and line, as an editor shows them. */
function byImportance(a: Finding, b: Finding): number {
  return (
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
    a.file.localeCompare(b.file) ||
    a.line - b.line ||
    a.rule.localeCompare(b.rule)
  );
}

/**
 * The report for a terminal or a CI log: one line per finding (`file:line  severity  rule
 * message`, columns aligned), its fix on the line below, then the summary. No colour, so it reads
 * the same in a log file.
 */
export function renderText(result: VerifyResult): string {
  const findings = [...result.findings].sort(byImportance);
  const widths = {
    where: Math.max(0, ...findings.map((f) => location(f, result.cluster).length)),
    severity: Math.max(0, ...findings.map((f) => f.severity.length)),
    rule: Math.max(0, ...findings.map((f) => f.rule.length)),
  };
  const lines: string[] = [];
  // First what was read at all, so "0 errors" over a cluster read blind cannot pass for a proof.
  const { unread } = result.summary;
  lines.push(`${result.summary.kustomizations - unread} of ${count(result.summary.kustomizations, "Kustomization")} read` +
    (unread > 0 ? ` (${unread} behind sources this check cannot read: map them with --source KIND/NAMESPACE/NAME=DIR)` : ""));
  for (const f of findings) {
    const head = [location(f, result.cluster).padEnd(widths.where), f.severity.padEnd(widths.severity), f.rule.padEnd(widths.rule)].join("  ");
    // A message of several lines keeps its continuation lines under the message column.
    const indent = " ".repeat(head.length + 2);
    lines.push(`${head}  ${f.message.split("\n").join(`\n${indent}`)}`);
    lines.push(`${" ".repeat(4)}fix: ${f.fix.split("\n").join(`\n${" ".repeat(9)}`)}`);
  }
  if (findings.length > 0) lines.push("");
  const { errors, warnings, kustomizations, objects } = result.summary;
  lines.push(
    `${count(errors, "error")}, ${count(warnings, "warning")} in ${count(kustomizations, "Kustomization")} ` +
      `(${count(objects, "object")})`,
  );
  return `${lines.join("\n")}\n`;
}
