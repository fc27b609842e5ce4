import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { kubeconfigCredentials } from "../../stacks/aws-credentials";

/** Runs `read` with the given stack config (full keys) as Pulumi hands it to the program. */
function withConfig<T>(config: Record<string, string>, read: () => T): T {
  const saved = pulumi.runtime.allConfig();
  pulumi.runtime.setAllConfig(config);
  try {
    return read();
  } finally {
    pulumi.runtime.setAllConfig(saved);
  }
}

describe("the Kubernetes provider's AWS credentials", () => {
  it("takes the profile from aws:profile and the role from aws:assumeRoles", () => {
    const credentials = withConfig(
      { "aws:profile": "acme-prod", "aws:assumeRoles": JSON.stringify([{ roleArn: "arn:aws:iam::123456789012:role/deployer" }]) },
      kubeconfigCredentials,
    );
    assert.deepEqual(credentials, { profileName: "acme-prod", roleArn: "arn:aws:iam::123456789012:role/deployer" });
  });

  it("is empty without either: pulumi-eks's kubeconfig and the default credential chain", () => {
    assert.deepEqual(withConfig({}, kubeconfigCredentials), {});
  });

  it("refuses a chain of roles, naming aws:assumeRoles", () => {
    const chain = JSON.stringify([{ roleArn: "arn:aws:iam::123456789012:role/a" }, { roleArn: "arn:aws:iam::123456789012:role/b" }]);
    assert.throws(() => withConfig({ "aws:assumeRoles": chain }, kubeconfigCredentials), /aws:assumeRoles lists 2 roles/);
  });
});
