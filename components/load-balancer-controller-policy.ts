/**
 * What the AWS Load Balancer Controller (chart 3.5.0, app v3.5.0) may do, written as this
 * project's statements by purpose. It grants exactly what the controller's published policy grants
 * (kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json at v3.5.0, which the
 * install guide says to attach unchanged): test/components/load-balancer-controller-policy.test.ts
 * compares the two as sets of (effect, action, resource, condition) against the upstream copy in
 * ../shared/upstream. When the pinned controller moves, update the statements until that test passes.
 *
 * The controller tags what it creates with `elbv2.k8s.aws/cluster`; every write to an existing
 * security group, load balancer or target group is limited to resources that carry the tag.
 */

type Condition = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Condition;
}

const CLUSTER_TAG = "elbv2.k8s.aws/cluster";
/** The request sets the cluster tag (a resource being created for this controller). */
const REQUEST_TAGGED = { [`aws:RequestTag/${CLUSTER_TAG}`]: "false" };
/** The resource already carries the cluster tag (the controller made it). */
const RESOURCE_TAGGED = { [`aws:ResourceTag/${CLUSTER_TAG}`]: "false" };
/** Tags changed on a resource the controller made, without touching the cluster tag itself. */
const OWNED_NOT_RETAGGED = { [`aws:RequestTag/${CLUSTER_TAG}`]: "true", ...RESOURCE_TAGGED };

const actions = (service: string, names: string[]) => names.map((n) => `${service}:${n}`);
const allow = (action: string[], resource: string | string[], condition?: Condition): PolicyStatement =>
  ({ Effect: "Allow", Action: action, Resource: resource, ...(condition === undefined ? {} : { Condition: condition }) });

/** The policy document, with ARNs in the stack's partition (`aws`, `aws-cn`, `aws-us-gov`). */
export function loadBalancerControllerPolicy(partition: string): { Version: string; Statement: PolicyStatement[] } {
  const ec2 = (resource: string) => `arn:${partition}:ec2:*:*:${resource}`;
  const elb = (resource: string) => `arn:${partition}:elasticloadbalancing:*:*:${resource}`;
  const balancersAndGroups = [elb("targetgroup/*/*"), elb("loadbalancer/net/*/*"), elb("loadbalancer/app/*/*")];
  const listenersAndRules = ["listener", "listener-rule"].flatMap((kind) => [elb(`${kind}/net/*/*/*`), elb(`${kind}/app/*/*/*`)]);

  const discovery = allow([
    ...actions("ec2", [
      "DescribeAccountAttributes", "DescribeAddresses", "DescribeAvailabilityZones", "DescribeInternetGateways",
      "DescribeVpcs", "DescribeVpcPeeringConnections", "DescribeSubnets", "DescribeSecurityGroups", "DescribeInstances",
      "DescribeNetworkInterfaces", "DescribeTags", "DescribeCoipPools", "DescribeIpamPools", "DescribeRouteTables",
      "GetCoipPoolUsage", "GetSecurityGroupsForVpc",
    ]),
    ...actions("elasticloadbalancing", [
      "DescribeLoadBalancers", "DescribeLoadBalancerAttributes", "DescribeListeners", "DescribeListenerAttributes",
      "DescribeListenerCertificates", "DescribeSSLPolicies", "DescribeRules", "DescribeTargetGroups",
      "DescribeTargetGroupAttributes", "DescribeTargetHealth", "DescribeTags", "DescribeTrustStores", "DescribeCapacityReservation",
    ]),
  ], "*");

  // Certificates, Cognito, WAF and Shield, which Ingress annotations name.
  const integrations = allow([
    ...actions("cognito-idp", ["DescribeUserPoolClient"]),
    ...actions("acm", ["ListCertificates", "DescribeCertificate"]),
    ...actions("iam", ["ListServerCertificates", "GetServerCertificate"]),
    ...["waf-regional", "wafv2"].flatMap((waf) => actions(waf, ["GetWebACL", "GetWebACLForResource", "AssociateWebACL", "DisassociateWebACL"])),
    ...actions("shield", ["GetSubscriptionState", "DescribeProtection", "CreateProtection", "DeleteProtection"]),
  ], "*");

  const securityGroups = [
    allow(actions("ec2", ["CreateSecurityGroup"]), "*"),
    allow(actions("ec2", ["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"]), "*"),
    allow(actions("ec2", ["CreateTags"]), ec2("security-group/*"), { StringEquals: { "ec2:CreateAction": "CreateSecurityGroup" }, Null: REQUEST_TAGGED }),
    allow(actions("ec2", ["CreateTags", "DeleteTags"]), ec2("security-group/*"), { Null: OWNED_NOT_RETAGGED }),
    allow(actions("ec2", ["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "DeleteSecurityGroup"]), "*", { Null: RESOURCE_TAGGED }),
  ];

  const loadBalancers = [
    allow(actions("elasticloadbalancing", ["CreateLoadBalancer", "CreateTargetGroup"]), "*", { Null: REQUEST_TAGGED }),
    allow(actions("elasticloadbalancing", ["AddTags"]), balancersAndGroups, {
      StringEquals: { "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"] },
      Null: REQUEST_TAGGED,
    }),
    allow(actions("elasticloadbalancing", ["AddTags", "RemoveTags"]), balancersAndGroups, { Null: OWNED_NOT_RETAGGED }),
    allow(actions("elasticloadbalancing", [
      "ModifyLoadBalancerAttributes", "SetIpAddressType", "SetSecurityGroups", "SetSubnets", "DeleteLoadBalancer",
      "ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup", "ModifyListenerAttributes",
      "ModifyCapacityReservation", "ModifyIpPools",
    ]), "*", { Null: RESOURCE_TAGGED }),
    allow(actions("elasticloadbalancing", ["RegisterTargets", "DeregisterTargets"]), elb("targetgroup/*/*")),
  ];

  const listeners = [
    allow(actions("elasticloadbalancing", ["CreateListener", "DeleteListener", "CreateRule", "DeleteRule"]), "*"),
    allow(actions("elasticloadbalancing", ["AddTags", "RemoveTags"]), listenersAndRules),
    allow(actions("elasticloadbalancing", [
      "SetWebAcl", "ModifyListener", "AddListenerCertificates", "RemoveListenerCertificates", "ModifyRule", "SetRulePriorities",
    ]), "*"),
  ];

  return {
    Version: "2012-10-17",
    Statement: [
      allow(actions("iam", ["CreateServiceLinkedRole"]), "*", { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } }),
      discovery,
      integrations,
      ...securityGroups,
      ...loadBalancers,
      ...listeners,
    ],
  };
}
