/** Running components under the offline mocks and finding what they created. */
import { ProgramRun, RecordedResource, recordProgram } from "../../offline/program";

/** Runs `build` (which creates components and returns outputs) under mocks in `region`. */
export function underMocks(build: () => Record<string, unknown> | void, region = "eu-west-1"): Promise<ProgramRun> {
  return recordProgram(() => build() ?? {}, { stack: "test", config: { values: { "aws:region": region }, secretKeys: [] } });
}

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

/** The one resource of `type` (named `name`, if given); fails the test when there is not exactly one. */
export function only(run: ProgramRun, type: string, name?: string): RecordedResource {
  const found = ofType(run, type).filter((r) => name === undefined || r.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${run.resources.map((r) => `${r.type} ${r.name}`).join(", ")}`);
  }
  return found[0];
}

/** A custom resource's Kubernetes object by kind (`FluxInstance`, `GitRepository`, ...). */
export function kubernetesObject(run: ProgramRun, kind: string): RecordedResource {
  const found = run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.inputs.kind === kind);
  if (found.length !== 1) throw new Error(`expected one Kubernetes ${kind}, found ${found.length}`);
  return found[0];
}

/** A nested input, e.g. `at(r, "spec", "postBuild")`. */
export function at(resource: RecordedResource, ...path: (string | number)[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<string | number, unknown> | undefined)?.[key], resource.inputs);
}
