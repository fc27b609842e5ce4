import { createHash } from "crypto";
import * as path from "path";
import type { Log, ReportingDescriptor, Result } from "sarif";
import { Finding, Severity, VerifyResult } from "../model";
import { describeRule } from "./rules";
import * as packageJson from "../../package.json";

export interface SarifOptions {
  /**
   * The verified repository's path inside the checkout that code scanning annotates, POSIX,
   * e.g. "examples/gitops" ("" when the GitOps repository is the checkout). GitHub resolves
   * result URIs against the checkout root, so findings' repo-relative files are prefixed by it.
   */
  uriPrefix?: string;
}

const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
const { name, version, description } = packageJson;
// Until package.json has a homepage, point at the Flux page that documents what is checked.
const INFORMATION_URI =
  (packageJson as { homepage?: string }).homepage ?? "https://fluxcd.io/flux/components/kustomize/kustomizations/#dependencies";

const RANK: Record<Severity, number> = { note: 0, warning: 1, error: 2 };

/** "consumer-without-provider" -> "ConsumerWithoutProvider": SARIF's rule `name` convention. */
function pascalCase(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_, _dash: string, c: string) => c.toUpperCase());
}

/** The rules that have findings, in order of first appearance, each at its most severe level. */
function rulesOf(findings: Finding[]): ReportingDescriptor[] {
  const levels = new Map<string, Severity>();
  for (const f of findings) {
    const seen = levels.get(f.rule);
    if (seen === undefined || RANK[f.severity] > RANK[seen]) levels.set(f.rule, f.severity);
  }
  return [...levels].map(([id, level]) => {
    const d = describeRule(id);
    return {
      id,
      name: pascalCase(id),
      shortDescription: { text: d.short },
      fullDescription: { text: d.full },
      help: { text: `${d.full}\nSee ${d.helpUri}`, markdown: `${d.full}\n\nSee [the Flux documentation](${d.helpUri}).` },
      helpUri: d.helpUri,
      defaultConfiguration: { level },
      properties: { tags: ["flux", "kubernetes", "gitops"], precision: "high" },
    };
  });
}

/** A URI relative to the checkout root, each segment percent-encoded ("#" or a space would break it). */
function artifactUri(file: string, uriPrefix: string): string {
  return path.posix
    .join(uriPrefix || ".", file)
    .split("/")
    .map(encodeURIComponent)
    .join("/");
}

/**
 * Lets code scanning recognise the same finding across runs even when lines move; the line is
 * left out on purpose.
 */
function fingerprint(f: Finding): string {
  return createHash("sha256")
    .update([f.rule, f.kustomization ?? "", f.file, f.message].join("\0"))
    .digest("hex")
    .slice(0, 32);
}

function resultOf(f: Finding, ruleIndex: number, uriPrefix: string, cluster: string): Result {
  return {
    ruleId: f.rule,
    ruleIndex,
    level: f.severity,
    message: { text: `${f.message}\nFix: ${f.fix}` },
    locations: [
      {
        physicalLocation: {
          // Code scanning needs a location; a finding about no file in particular gets the cluster path.
          artifactLocation: { uri: artifactUri(f.file || cluster, uriPrefix), uriBaseId: "%SRCROOT%" },
          // SARIF lines start at 1; a finding about a whole file has no region.
          ...(f.line >= 1 ? { region: { startLine: f.line } } : {}),
        },
        ...(f.kustomization ? { logicalLocations: [{ fullyQualifiedName: f.kustomization, kind: "object" }] } : {}),
      },
    ],
    partialFingerprints: { "gitopsFinding/v1": fingerprint(f) },
  };
}

export function toSarif(result: VerifyResult, options: SarifOptions = {}): Log {
  const rules = rulesOf(result.findings);
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const uriPrefix = options.uriPrefix ?? "";
  return {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name,
            fullName: `${name} verify`,
            shortDescription: { text: description },
            informationUri: INFORMATION_URI,
            version,
            semanticVersion: version,
            rules,
          },
        },
        // One category per cluster, so uploads for development and production do not close
        // each other's alerts.
        automationDetails: { id: `${name}/${result.cluster.replace(/\/+$/, "")}/` },
        results: result.findings.map((f) => resultOf(f, ruleIndex.get(f.rule)!, uriPrefix, result.cluster)),
      },
    ],
  };
}

/** The SARIF 2.1.0 log, for `github/codeql-action/upload-sarif`. */
export function renderSarif(result: VerifyResult, options: SarifOptions = {}): string {
  return `${JSON.stringify(toSarif(result, options), null, 2)}\n`;
}
