/**
 * Secret values in Pulumi JSON. The display JSON replaces secrets with "[secret]"; state and
 * engine events encode them as an object carrying the secret signature
 * (sdk/go/common/resource/sig: key "4dabf18193072939515e22adb298388d", value
 * "1b47061264138c4ac30d75fd1eb44270"). Either form is masked, so nothing this tool prints can
 * reveal a secret, whichever form a Pulumi version emits.
 */
export const SECRET = "[secret]";

const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

function isSecretWrapper(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIGNATURE_KEY] === SECRET_SIGNATURE;
}

export function isSecret(value: unknown): boolean {
  return value === SECRET || isSecretWrapper(value);
}

/** True when the value is, or anywhere holds, a secret. */
export function containsSecret(value: unknown): boolean {
  if (isSecret(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecret);
  return false;
}

/** A copy with every secret replaced by "[secret]". */
export function maskSecrets(value: unknown): unknown {
  if (isSecret(value)) return SECRET;
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, maskSecrets(inner)]));
  }
  return value;
}
