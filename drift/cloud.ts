/**
 * The cloud and cluster side of a drift check: what one run of
 * `pulumi preview --refresh --expect-no-changes --json` says, including why it could not say.
 */
import {
  DriftedResource, PreviewParseError, changeCounts, driftedResources, errorMessages, hasChanges, parsePreviewJson,
} from "./preview";

/** What the Pulumi CLI printed and how it exited. */
export interface PreviewRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type CloudProblemKind = "no-cli" | "credentials" | "login" | "stack" | "preview-failed";

export interface CloudProblem {
  kind: CloudProblemKind;
  message: string;
}

export interface CloudCheck {
  /** True when a preview ran to the end and its JSON was read. */
  checked: boolean;
  /** True when the preview proposes changes: the cloud or the cluster no longer matches. */
  drift: boolean;
  resources: DriftedResource[];
  /** The engine's changeSummary: count per operation. */
  summary: Record<string, number>;
  /** Why the cloud could not be checked; set exactly when `checked` is false. */
  problem?: CloudProblem;
}

export const NO_CLI_MESSAGE = "the Pulumi CLI is not on PATH: cloud and cluster drift not checked";

/** Typical messages, by cause. AWS SDK, Kubernetes client and Pulumi backend wordings. */
const PROBLEM_PATTERNS: { kind: CloudProblemKind; pattern: RegExp; hint: string }[] = [
  {
    kind: "credentials",
    pattern: /no valid credential sources|NoCredentialProviders|failed to refresh cached credentials|unable to locate credentials|could not load credentials|ExpiredToken|InvalidClientTokenId|UnrecognizedClientException|security token included in the request is (?:invalid|expired)|SignatureDoesNotMatch|not authorized to perform: sts:AssumeRole/i,
    hint: "no usable AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or assume the deploy role",
  },
  {
    kind: "credentials",
    pattern: /server has asked for the client to provide credentials|\bUnauthorized\b|Forbidden.*cannot (?:get|list)/i,
    hint: "the cluster refused the kubeconfig's credentials: check the access entry of the principal in use",
  },
  {
    kind: "login",
    pattern: /PULUMI_ACCESS_TOKEN must be set|not logged in|pulumi login|passphrase must be set|incorrect passphrase|PULUMI_CONFIG_PASSPHRASE/i,
    hint: "the Pulumi backend is not reachable with these credentials: run `pulumi login` (or set PULUMI_ACCESS_TOKEN / PULUMI_CONFIG_PASSPHRASE)",
  },
  {
    kind: "stack",
    pattern: /no stack named|stack '[^']*' not found|could not find a Pulumi\.yaml|no Pulumi\.yaml project file found/i,
    hint: "the stack or project was not found: run from the project directory and check `pulumi stack ls`",
  },
];

/** The CLI's own failure for `--expect-no-changes`: it means drift, not a broken run. */
const EXPECTED_NO_CHANGES = /no changes were expected but changes were proposed/i;

function firstLines(text: string, max = 3): string {
  return text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !EXPECTED_NO_CHANGES.test(l)).slice(0, max).join(" | ");
}

/** Names the cause of a failed preview from its error diagnostics and stderr. */
export function classifyFailure(messages: string[], stderr: string, exitCode: number): CloudProblem {
  const text = [...messages, stderr].join("\n");
  for (const { kind, pattern, hint } of PROBLEM_PATTERNS) {
    const line = text.split("\n").find((l) => pattern.test(l));
    if (line) return { kind, message: `${hint} (pulumi said: ${line.trim().slice(0, 300)})` };
  }
  const said = firstLines(text) || `exit code ${exitCode} and no message`;
  return { kind: "preview-failed", message: `pulumi preview failed: ${said.slice(0, 500)}` };
}

export function cliMissing(): CloudCheck {
  return { checked: false, drift: false, resources: [], summary: {}, problem: { kind: "no-cli", message: NO_CLI_MESSAGE } };
}

/**
 * Reads one preview run. A non-zero exit is expected when there are changes
 * (`--expect-no-changes`), so stdout is parsed first and the exit code only matters when the
 * JSON shows neither changes nor errors.
 */
export function cloudCheckFromPreview(run: PreviewRun): CloudCheck {
  let digest;
  try {
    digest = parsePreviewJson(run.stdout);
  } catch (err) {
    if (!(err instanceof PreviewParseError)) throw err;
    const problem = classifyFailure([], run.stderr, run.exitCode);
    if (problem.kind === "preview-failed") problem.message = `${err.message}; ${problem.message}`;
    return { checked: false, drift: false, resources: [], summary: {}, problem };
  }
  const resources = driftedResources(digest);
  const summary = changeCounts(digest);
  const errors = errorMessages(digest);
  if (errors.length > 0) {
    return { checked: false, drift: false, resources, summary, problem: classifyFailure(errors, run.stderr, run.exitCode) };
  }
  const drift = hasChanges(digest);
  if (run.exitCode !== 0 && !drift) {
    return { checked: false, drift: false, resources, summary, problem: classifyFailure([], run.stderr, run.exitCode) };
  }
  return { checked: true, drift, resources, summary };
}
