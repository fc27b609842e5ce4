/**
 * Runs Pulumi code under mocks and records what a `pulumi preview` would show: every resource
 * with its parent, explicit dependencies and inputs (as the provider would receive them), and
 * the stack outputs, secrets masked as "[secret]". The offline plan (`gitops-cluster plan`) and
 * every test go through here, so the mocks are set in one place, before the program is loaded.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { OFFLINE_ACCOUNT_ID, Registration, answerMethodCalls, offlineMocks } from "./mocks";
import { promiseOf, reveal } from "./outputs";
import { StackConfig, stackConfig } from "./stack-config";
import { Wiring, recordWiring } from "./wiring";

export const PROJECT = "gitops-cluster";
export const PROJECT_DIR = path.resolve(__dirname, "..");

export interface RecordedResource {
  urn: string;
  /** Type token, e.g. `aws:ec2/subnet:Subnet` or `gitops-cluster:index:Network`. */
  type: string;
  name: string;
  /** Physical id the mocks gave a custom resource (e.g. `subnet-0...`); undefined for components. */
  id?: string;
  /** URN of the parent; undefined only for the stack itself. */
  parent?: string;
  /** URNs of the explicit `dependsOn` resources. */
  dependsOn: string[];
  /**
   * URNs of every resource the engine is told this one depends on: explicit `dependsOn` and those
   * carried by Outputs in its inputs, components expanded to their children (the SDK's
   * `allDirectDependencyURNs`, sent as `RegisterResourceRequest.dependencies`). With `parent` and
   * `provider` these are the edges `pulumi destroy` deletes against, dependents first.
   */
  dependencies: string[];
  /** URN of the provider resource that manages this one; undefined for components and default providers' own. */
  provider?: string;
  /** Inputs as the provider receives them; secrets are "[secret]". */
  inputs: Record<string, unknown>;
  /** True for cloud resources, false for components and the stack. */
  custom: boolean;
  /** Pulumi `protect` set on the resource itself (children also inherit it from a protected parent). */
  protect: boolean;
}

export interface ProgramRun {
  stack: string;
  /** In the order the program created them, the stack first. */
  resources: RecordedResource[];
  /** Stack outputs; secrets are "[secret]". */
  outputs: Record<string, unknown>;
}

export interface RecordOptions {
  stack: string;
  project?: string;
  /** Full configuration (`aws:region`, `gitops-cluster:...`) handed to the program. */
  config?: StackConfig;
  /**
   * The principal running the program, as sts:GetCallerIdentity reports it (an assumed-role
   * session or an IAM user). Default: DEFAULT_CALLER.
   */
  caller?: string;
  /** True (default) for `pulumi preview`, false for `pulumi up`. */
  dryRun?: boolean;
  /** EKS clusters that exist already, name -> Kubernetes version (default none: a first `up`). */
  liveClusters?: Record<string, string>;
}

interface Constructed {
  resource: pulumi.Resource;
  type: string;
  name: string;
  parent?: pulumi.Resource;
  dependsOn?: pulumi.ResourceOptions["dependsOn"];
  protect?: boolean;
}

/** Mocks and config are process-wide: one program at a time. */
let queue: Promise<unknown> = Promise.resolve();
function exclusively<T>(run: () => Promise<T>): Promise<T> {
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}

/** The resources in a `dependsOn` option, whatever mix of Outputs, promises and arrays it is. */
async function resourcesIn(value: unknown): Promise<pulumi.Resource[]> {
  if (value === undefined || value === null) return [];
  if (pulumi.Output.isInstance(value)) return resourcesIn(await promiseOf(value as pulumi.Output<unknown>));
  if (value instanceof Promise) return resourcesIn(await value);
  if (Array.isArray(value)) return (await Promise.all(value.map(resourcesIn))).flat();
  return pulumi.Resource.isInstance(value) ? [value] : [];
}

/**
 * The program's own error: as thrown while loading (a SettingsError keeps its name), or, for an
 * input that failed, the message Pulumi wrapped as `error serializing property "x": <message>`.
 */
function programError(reason: unknown): Error {
  const wrapped = /^(error serializing property "[^"]*": )+/;
  if (reason instanceof Error && !wrapped.test(reason.message)) return reason;
  return new Error((reason instanceof Error ? reason.message : String(reason)).replace(wrapped, ""));
}

/**
 * Runs `program` (which creates resources and returns the stack outputs) under the offline mocks.
 * Rejects with the program's own error message when it fails, wherever it fails: while loading,
 * or later inside an `apply` that a resource input depends on.
 */
export function recordProgram(program: () => unknown, options: RecordOptions): Promise<ProgramRun> {
  return exclusively(async () => {
    const project = options.project ?? PROJECT;
    const config = options.config ?? { values: {}, secretKeys: [] };
    const region = config.values["aws:region"] ?? "us-east-1";
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);

    const registrations = new Map<string, Registration[]>();
    const mocks = offlineMocks({ region, accountId: OFFLINE_ACCOUNT_ID, callerArn: options.caller, liveClusters: options.liveClusters }, (r) => {
      const key = `${r.type}::${r.name}`;
      registrations.set(key, [...(registrations.get(key) ?? []), r]);
    });
    await pulumi.runtime.setMocks(mocks, project, options.stack, options.dryRun ?? true);
    answerMethodCalls({ region, accountId: OFFLINE_ACCOUNT_ID });
    // The mocks' newResource sees no dependencies; the monitor's registration request has them.
    const wiring: Map<string, Wiring> = recordWiring();

    // A failed input rejects promises inside the SDK that nobody awaits; the language host
    // would report them, here the run reports them (and they must not crash the process).
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const constructed: Constructed[] = [];
      let stackOutputs: Record<string, unknown> = {};
      const programRun = pulumi.runtime.runInPulumiStack(async () => {
        const stack = pulumi.runtime.getStackResource();
        if (stack) constructed.push({ resource: stack, type: "pulumi:pulumi:Stack", name: `${project}-${options.stack}` });
        // Mocks do not see parents or dependsOn; a stack transformation sees every resource.
        pulumi.runtime.registerStackTransformation((args) => {
          // A resource built from a URN is a reference to one registered already, not a new one.
          if (args.opts.urn !== undefined) return undefined;
          const { parent, dependsOn, protect } = args.opts;
          constructed.push({ resource: args.resource, type: args.type, name: args.name, parent: parent ?? stack, dependsOn, protect });
          return undefined;
        });
        stackOutputs = ((await program()) ?? {}) as Record<string, unknown>;
        return {};
      });
      const [programResult] = await Promise.allSettled([programRun]);
      const registered = await Promise.allSettled(constructed.map((c) => promiseOf(c.resource.urn)));
      await pulumi.runtime.disconnect();
      await new Promise((resolve) => setImmediate(resolve));
      const failure = [programResult, ...registered].find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failure || unhandled.length > 0) throw programError(failure ? failure.reason : unhandled[0]);

      const taken = new Map<string, number>();
      const resources: RecordedResource[] = [];
      for (const c of constructed) {
        const urn = await promiseOf(c.resource.urn);
        const key = `${c.type}::${c.name}`;
        const index = taken.get(key) ?? 0;
        taken.set(key, index + 1);
        const registration = registrations.get(key)?.[index];
        resources.push({
          urn,
          type: c.type,
          name: c.name,
          id: pulumi.CustomResource.isInstance(c.resource) ? await promiseOf(c.resource.id) : undefined,
          parent: c.parent ? await promiseOf(c.parent.urn) : undefined,
          dependsOn: await Promise.all((await resourcesIn(c.dependsOn)).map((r) => promiseOf(r.urn))),
          dependencies: wiring.get(urn)?.dependencies ?? [],
          provider: wiring.get(urn)?.provider,
          inputs: ((await reveal(registration?.inputs ?? {})) ?? {}) as Record<string, unknown>,
          custom: registration?.custom ?? pulumi.CustomResource.isInstance(c.resource),
          protect: c.protect === true,
        });
      }
      const outputs: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(stackOutputs)) {
        const revealed = await reveal(value);
        if (revealed !== undefined) outputs[key] = revealed;
      }
      return { stack: options.stack, resources, outputs };
    } finally {
      process.off("unhandledRejection", onUnhandled);
      // Forget what the run left pending, or Pulumi's leak check fails the process at exit.
      pulumi.runtime.resetOptions(project, options.stack, -1, "", "", true, "");
    }
  });
}

/** Forget the project's own modules so the next `require` runs the program again, fresh. */
function forgetProjectModules(projectDir: string): void {
  const keep = ["node_modules", "offline", "cli", "test"].map((d) => path.join(projectDir, d) + path.sep);
  for (const file of Object.keys(require.cache)) {
    if (file.startsWith(projectDir + path.sep) && !keep.some((k) => file.startsWith(k))) delete require.cache[file];
  }
}

export interface RunProgramOptions {
  /** Config keys to add or replace (without namespace: the project's); `undefined` removes one. */
  config?: Record<string, unknown>;
  /** The program to run; default: the project's `index.ts`. */
  programPath?: string;
  /** Directory holding `Pulumi.<stack>.yaml`; default: the project directory. */
  projectDir?: string;
  /** ARN the mocked getCallerIdentity answers (see RecordOptions.caller). */
  caller?: string;
  /** Preview (default) or up. */
  dryRun?: boolean;
  /** EKS clusters that exist already (see RecordOptions.liveClusters). */
  liveClusters?: Record<string, string>;
}

/** Runs the stack program for `stack` (its `Pulumi.<stack>.yaml`) under the offline mocks. */
export async function runProgram(stack: string, opts: RunProgramOptions = {}): Promise<ProgramRun> {
  const projectDir = opts.projectDir ?? PROJECT_DIR;
  const programPath = opts.programPath ?? path.join(PROJECT_DIR, "index.ts");
  return recordProgram(
    () => {
      forgetProjectModules(PROJECT_DIR);
      delete require.cache[require.resolve(programPath)];
      // As Pulumi's language host runs it: an exported function is called and awaited.
      const exported = require(programPath);
      return exported instanceof Function ? exported() : { ...exported };
    },
    { stack, config: stackConfig(projectDir, PROJECT, stack, opts.config), caller: opts.caller, dryRun: opts.dryRun, liveClusters: opts.liveClusters },
  );
}
