/**
 * Stack settings files (`Pulumi.<stack>.yaml`) read without the Pulumi CLI, for the offline plan
 * and the drift command.
 */
import * as fs from "fs";
import * as path from "path";
import { GitopsInputError } from "../gitops/read/errors";
import { documentData, parseCheckedDocuments } from "../gitops/read/yaml";
import { NAMESPACE, SettingsError, isPlainObject, show } from "./readers";

/**
 * The whole `config:` map of `Pulumi.<stack>.yaml` (keys with their namespace), as written:
 * project defaults from Pulumi.yaml are not applied and `secure:` values are not decrypted.
 * Bad YAML is a SettingsError naming the file and line.
 */
export function readStackConfig(projectDir: string, stack: string): Record<string, unknown> {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  const name = path.basename(file);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SettingsError([
      code === "ENOENT"
        ? `${name}: not found in ${projectDir} (expected the settings file of stack ${show(stack)})`
        : `${name}: cannot be read (${code === "EACCES" ? "permission denied" : code ?? String(error)})`,
    ]);
  }
  const content: unknown = stackFileContent(bytes, name);
  if (!isPlainObject(content)) {
    throw new SettingsError([`${name}: must be a map with a config: key (got ${show(content)})`]);
  }
  const config = content.config ?? {};
  if (!isPlainObject(config)) {
    throw new SettingsError([`${name}: config must be a map of namespace:key to value (got ${show(config)})`]);
  }
  return config;
}

/** Text a person wrote: no NUL or other C0 control bytes but tab, CR and LF, and valid UTF-8. */
function binaryAt(bytes: Buffer): number | undefined {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b < 0x20 && b !== 9 && b !== 10 && b !== 13) return i;
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return undefined;
  } catch {
    const text = bytes.toString("utf8");
    return Buffer.byteLength(text.slice(0, text.indexOf("\uFFFD")), "utf8");
  }
}

/** The one YAML document of a stack file as data, or a SettingsError naming file:line. */
function stackFileContent(bytes: Buffer, name: string): unknown {
  const bad = binaryAt(bytes);
  if (bad !== undefined) {
    const line = bytes.subarray(0, bad).reduce((n, b) => (b === 10 ? n + 1 : n), 1);
    throw new SettingsError([
      `${name}:${line}: is not a YAML text file (byte 0x${bytes[bad].toString(16).padStart(2, "0")} at offset ${bad}); ` +
        "expected UTF-8 text with a config: map",
    ]);
  }
  try {
    const { docs, lineCounter } = parseCheckedDocuments(bytes.toString("utf8"), name);
    const second = docs.slice(1).find((doc) => doc.contents !== null);
    if (second !== undefined) {
      const line = lineCounter.linePos(second.range[0]).line;
      throw new SettingsError([
        `${name}:${line}: a second YAML document starts here; a stack file is one document with a config: map ` +
          "(remove this --- and what follows, or move its keys into config:)",
      ]);
    }
    return docs.length === 0 ? {} : (documentData(docs[0], name, 1) ?? {});
  } catch (err) {
    if (err instanceof GitopsInputError) throw new SettingsError([err.message]);
    throw err;
  }
}

/** The `gitops-cluster:` keys of `Pulumi.<stack>.yaml`, without the prefix: parseSettings' input. */
export function readStackConfigFile(projectDir: string, stack: string): Record<string, unknown> {
  const prefix = `${NAMESPACE}:`;
  return Object.fromEntries(
    Object.entries(readStackConfig(projectDir, stack))
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

/**
 * A config map the way the Pulumi engine hands it to the program (and `setAllConfig` takes it):
 * every value a string, structured values as JSON.
 */
export function asPulumiConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}
