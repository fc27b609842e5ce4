import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadBalancerControllerPolicy } from "../../components/load-balancer-controller-policy";
import { upstreamDir } from "../../tools/flux-facts";
import { grantDifference, grants } from "./policy-grants";

// Our statements against the controller's published policy, kept upstream in ../shared/upstream.
const UPSTREAM_POLICY = path.join(upstreamDir(), "aws-load-balancer-controller-v3.5.0", "iam_policy.json");
const upstream = () => JSON.parse(fs.readFileSync(UPSTREAM_POLICY, "utf8")) as Record<string, unknown>;

describe("the Load Balancer Controller policy, written as code", () => {
  it("grants exactly what the published v3.5.0 policy grants: the same (effect, action, resource, condition) set", () => {
    const difference = grantDifference(loadBalancerControllerPolicy("aws"), upstream());
    assert.deepEqual(difference, { onlyOurs: [], onlyTheirs: [] });
    assert.ok(grants(upstream()).size > 90, "the comparison sees every tuple");
  });

  it("a policy missing one upstream action is caught, and named", () => {
    const modified = upstream();
    const statements = modified.Statement as { Action: string | string[] }[];
    const describes = statements.find((s) => Array.isArray(s.Action) && s.Action.includes("elasticloadbalancing:DescribeTrustStores"))!;
    describes.Action = (describes.Action as string[]).filter((a) => a !== "elasticloadbalancing:DescribeTrustStores");
    const difference = grantDifference(loadBalancerControllerPolicy("aws"), modified);
    assert.deepEqual(difference.onlyTheirs, []);
    assert.equal(difference.onlyOurs.length, 1);
    assert.match(difference.onlyOurs[0], /describetruststores/);
  });

  it("a condition changed upstream is caught too", () => {
    const modified = upstream();
    const created = (modified.Statement as { Condition?: { StringEquals?: Record<string, unknown> } }[])
      .find((s) => s.Condition?.StringEquals?.["iam:AWSServiceName"] !== undefined)!;
    created.Condition!.StringEquals!["iam:AWSServiceName"] = "other.amazonaws.com";
    assert.notDeepEqual(grantDifference(loadBalancerControllerPolicy("aws"), modified), { onlyOurs: [], onlyTheirs: [] });
  });

  it("names the stack's partition in every ARN", () => {
    const text = JSON.stringify(loadBalancerControllerPolicy("aws-us-gov"));
    assert.ok(text.includes("arn:aws-us-gov:ec2:"));
    assert.doesNotMatch(text, /"arn:aws:/);
  });
});
