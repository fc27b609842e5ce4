/**
 * Stack settings files (`Pulumi.<stack>.yaml`) read without the Pulumi CLI, for the offline plan
 * and the drift command.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { NAMESPACE, SettingsError, isPlainObject, show } from "./readers";

/**
 * The whole `config:` map of `Pulumi.<stack>.yaml` (keys with their namespace), as written:
 * project defaults from Pulumi.yaml are not applied and `secure:` values are not decrypted.
 * Bad YAML is a SettingsError naming the file and line.
 */
export function readStackConfig(projectDir: string, stack: string): Record<string, unknown> {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  const name = path.basename(file);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SettingsError([
      code === "ENOENT"
        ? `${name}: not found in ${projectDir} (expected the settings file of stack ${show(stack)})`
        : `${name}: cannot be read (${code ?? String(error)})`,
    ]);
  }
  const lines = new YAML.LineCounter();
  const document = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new SettingsError(
      document.errors.map((error) => {
        const { line, col } = lines.linePos(error.pos[0]);
        return `${name}:${line}:${col}: ${error.message.split("\n")[0]}`;
      }),
    );
  }
  const content: unknown = document.toJS() ?? {};
  if (!isPlainObject(content)) {
    throw new SettingsError([`${name}: must be a map with a config: key (got ${show(content)})`]);
  }
  const config = content.config ?? {};
  if (!isPlainObject(config)) {
    throw new SettingsError([`${name}: config must be a map of namespace:key to value (got ${show(config)})`]);
  }
  return config;
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
