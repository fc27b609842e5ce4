/**
 * The reporters: one VerifyResult, four readers. Text for people at a terminal or in a CI log,
 * JSON for scripts, SARIF for GitHub code scanning, Mermaid for people who would rather look.
 */
import { VerifyResult } from "../model";
import { renderJson } from "./json";
import { renderMermaid } from "./mermaid";
import { renderSarif, SarifOptions } from "./sarif";
import { renderText } from "./text";

export { renderJson, toJsonReport } from "./json";
export type { JsonFinding, JsonKustomization, JsonReport, JsonUnresolved } from "./json";
export { renderMermaid } from "./mermaid";
export { renderSarif, toSarif } from "./sarif";
export type { SarifOptions } from "./sarif";
export { renderText } from "./text";
export { describeRule, RULE_DESCRIPTIONS } from "./rules";
export type { RuleDescription } from "./rules";

export const REPORT_FORMATS = ["text", "json", "sarif", "mermaid"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function isReportFormat(value: string): value is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(value);
}

/** The report of `result` in `format`; `options` matter to SARIF only. */
export function renderReport(result: VerifyResult, format: ReportFormat, options: SarifOptions = {}): string {
  switch (format) {
    case "text":
      return renderText(result);
    case "json":
      return renderJson(result);
    case "sarif":
      return renderSarif(result, options);
    case "mermaid":
      return renderMermaid(result);
  }
}
