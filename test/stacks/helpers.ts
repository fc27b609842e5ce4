import * as assert from "node:assert/strict";
import * as path from "path";
import { SettingsError, parseSettings } from "../../stacks/settings";

export const PROJECT_DIR = path.resolve(__dirname, "../..");

/** The least a stack must say; everything else comes from the environment's defaults. */
export function minimalConfig(): Record<string, unknown> {
  return {
    region: "eu-west-1",
    nodeGroups: [{ name: "general" }],
    flux: { repoUrl: "ssh://git@github.com/acme/gitops.git" },
  };
}

/** The problems parseSettings reports, one per line of the SettingsError message. */
export function problemsOf(raw: Record<string, unknown>, stack = "development", awsRegion?: string): string[] {
  try {
    parseSettings(raw, stack, "gitops-cluster", awsRegion);
  } catch (error) {
    assert.ok(error instanceof SettingsError, `expected a SettingsError, got ${String(error)}`);
    assert.deepEqual(error.message.split("\n"), error.problems);
    return [...error.problems];
  }
  return assert.fail("expected a SettingsError, but the settings were accepted");
}

/** A deep copy of `base` with `change` applied to it. */
export function changed(base: Record<string, unknown>, change: (config: any) => void): Record<string, unknown> {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}
