/**
 * The configuration of a stack as the Pulumi CLI hands it to the program: every key of
 * `Pulumi.<stack>.yaml`, namespaced, structured values as JSON text.
 * https://www.pulumi.com/docs/iac/concepts/config/#structured-configuration
 */
import { asPulumiConfig, readStackConfig } from "../stacks/settings";

export interface StackConfig {
  /** Full keys ("aws:region", "gitops-cluster:cluster") to the string Pulumi stores. */
  values: Record<string, string>;
  /** Keys whose value is a secret. */
  secretKeys: string[];
}

/** Without the Pulumi service there is no key to decrypt `secure:` values: they stay opaque. */
export const OFFLINE_SECRET_PLACEHOLDER = "offline-placeholder-for-a-secure-value";

function isSecureValue(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/**
 * The config of `stack` from `projectDir/Pulumi.<stack>.yaml`, with `overrides` applied: keys with
 * or without namespace (without: the project's), values as written in YAML, `undefined` removes.
 */
export function stackConfig(projectDir: string, project: string, stack: string, overrides: Record<string, unknown> = {}): StackConfig {
  const raw: Record<string, unknown> = { ...readStackConfig(projectDir, stack) };
  for (const [key, value] of Object.entries(overrides)) {
    const full = key.includes(":") ? key : `${project}:${key}`;
    if (value === undefined) delete raw[full];
    else raw[full] = value;
  }
  const secretKeys = Object.keys(raw).filter((key) => isSecureValue(raw[key]));
  for (const key of secretKeys) raw[key] = OFFLINE_SECRET_PLACEHOLDER;
  return { values: asPulumiConfig(raw), secretKeys };
}
