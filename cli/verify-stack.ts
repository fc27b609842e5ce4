/** `verify --stack NAME`: the verification options a stack's settings imply, as the program uses them. */
import * as fs from "fs";
import * as path from "path";
import type { VerifyOptions } from "../gitops/model";
import { settingsFromStackFile } from "../stacks/settings";
import { verifyOptionsFor } from "../stacks/verify-options";
import { UsageError } from "./command";

const PACKAGE_DIR = path.resolve(__dirname, "..");

/** Settings come from the working directory when it is a Pulumi project, else from this package (as `plan` does). */
export function stackVerifyOptions(stack: string, cwd: string): VerifyOptions {
  const projectDir = fs.existsSync(path.join(cwd, "Pulumi.yaml")) ? cwd : PACKAGE_DIR;
  if (!fs.existsSync(path.join(projectDir, `Pulumi.${stack}.yaml`))) {
    throw new UsageError(`--stack ${stack}: no Pulumi.${stack}.yaml in ${projectDir}`);
  }
  try {
    return verifyOptionsFor(settingsFromStackFile(projectDir, stack));
  } catch (err) {
    throw new UsageError(`--stack ${stack}: its settings cannot be read:\n${(err as Error).message}`);
  }
}
