/**
 * Turning Pulumi values into plain data for tests and the plan, with secrets kept secret:
 * whatever Pulumi holds as a secret comes out as the string "[secret]".
 */
import * as pulumi from "@pulumi/pulumi";

export const SECRET = "[secret]";

/** The SDK's internal view of an Output; `promise()` also settles for unknown values. */
interface OutputInternals<T> {
  promise(withUnknowns?: boolean): Promise<T>;
}

/**
 * The value of an Output. Unlike `apply`, which never calls back for a value unknown during a
 * preview, this settles with `undefined` for unknowns, so a test fails instead of hanging.
 */
export function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
  return (o as unknown as OutputInternals<T>).promise();
}

/** Whether Pulumi treats the Output as a secret (encrypted in state, masked in logs). */
export function isSecret<T>(o: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(o);
}

function isSerializedSecret(value: object): boolean {
  return (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/**
 * Plain data from a value as a provider receives it (Outputs resolved, secrets wrapped in the
 * engine's secret signature, resources as references): secrets become "[secret]", resources
 * their URN, unknowns disappear as they do in `pulumi preview --json`.
 */
export async function reveal(value: unknown): Promise<unknown> {
  if (value === null || value === undefined || typeof value !== "object") return value;
  if (pulumi.Output.isInstance(value)) {
    if (await isSecret(value)) return SECRET;
    return reveal(await promiseOf(value));
  }
  if (value instanceof Promise) return reveal(await value);
  if (pulumi.Resource.isInstance(value)) return promiseOf(value.urn);
  if (isSerializedSecret(value)) return SECRET;
  if (Array.isArray(value)) return Promise.all(value.map(reveal));
  const entries = await Promise.all(
    Object.entries(value).map(async ([k, v]) => [k, await reveal(v)] as const),
  );
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}
