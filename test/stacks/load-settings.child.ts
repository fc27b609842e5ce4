/**
 * Runs loadSettings in a process of its own, the way a Pulumi program runs: mocks name the
 * project and stack, setAllConfig holds the config as the engine passes it (every value a
 * string, structured values as JSON). Kept out of the mocha process so that its global Pulumi
 * state cannot leak into other suites.
 *
 * Input (argv[2]): JSON [{project, stack, config}]. Output: JSON [{settings} or {error: {name, message}}].
 */
import * as pulumi from "@pulumi/pulumi";
import { loadSettings } from "../../stacks/settings";

interface Case {
  project: string;
  stack: string;
  config: Record<string, string>;
}

async function load({ project, stack, config }: Case): Promise<unknown> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: (args) => args.inputs,
    },
    project,
    stack,
    true,
  );
  pulumi.runtime.setAllConfig(config);
  try {
    return { settings: loadSettings() };
  } catch (error) {
    const { name, message } = error as Error;
    return { error: { name, message } };
  }
}

async function main(): Promise<void> {
  const results = [];
  for (const testCase of JSON.parse(process.argv[2]) as Case[]) results.push(await load(testCase));
  process.stdout.write(JSON.stringify(results));
}

void main();
