/**
 * Calls policy validations the way the policy host does, with the argument bags it builds
 * (ResourceValidationArgs, StackValidationArgs), a capturing reportViolation and a
 * notApplicable that records its reason.
 */
import {
  PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";

export interface Sample {
  type: string;
  name: string;
  props: Record<string, unknown>;
  stack?: string;
  protect?: boolean;
  /** Property name -> names of the samples its value came from. */
  dependsOn?: Record<string, string[]>;
}

export interface Outcome {
  violations: { message: string; urn?: string }[];
  /** Set when the policy declared itself not applicable. */
  notApplicable?: string;
}

class NotApplicable extends Error {}

export function urnOf(sample: Sample): string {
  return `urn:pulumi:${sample.stack ?? "production"}::gitops-cluster::${sample.type}::${sample.name}`;
}

function bag(config: object) {
  return {
    stackTags: new Map<string, string>(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => { throw new NotApplicable(reason ?? ""); },
  };
}

async function capture(run: (report: (message: string, urn?: string) => void) => Promise<void> | void): Promise<Outcome> {
  const outcome: Outcome = { violations: [] };
  try {
    await run((message, urn) => outcome.violations.push(urn === undefined ? { message } : { message, urn }));
  } catch (err) {
    if (!(err instanceof NotApplicable)) throw err;
    outcome.notApplicable = err.message;
  }
  return outcome;
}

export function validateResource(policy: ResourceValidationPolicy, sample: Sample, config: object = {}): Promise<Outcome> {
  const args = {
    ...bag(config),
    type: sample.type,
    name: sample.name,
    urn: urnOf(sample),
    props: sample.props,
    opts: { protect: sample.protect ?? false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
    isType: () => { throw new Error("policies here match on args.type"); },
    asType: () => { throw new Error("policies here match on args.type"); },
  } as ResourceValidationArgs;
  const validations = [policy.validateResource ?? []].flat();
  return capture(async (report) => { for (const validate of validations) await validate(args, report); });
}

export function validateStack(policy: StackValidationPolicy, samples: Sample[], config: object = {}): Promise<Outcome> {
  const resources = samples.map((sample) => ({
    type: sample.type,
    name: sample.name,
    urn: urnOf(sample),
    props: sample.props,
    opts: { protect: sample.protect ?? false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
    dependencies: [],
    propertyDependencies: {},
  })) as unknown as PolicyResource[];
  samples.forEach((sample, i) => {
    for (const [property, names] of Object.entries(sample.dependsOn ?? {})) {
      resources[i].propertyDependencies[property] = names.map((n) => resources[samples.findIndex((s) => s.name === n)]);
    }
  });
  const args = { ...bag(config), resources } as StackValidationArgs;
  return capture((report) => policy.validateStack(args, report));
}
