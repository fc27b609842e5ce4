/** What valid setting values look like: AWS, Kubernetes, Git and Flux formats. */
import { matching } from "./readers";

export const AWS_REGION = matching(
  /^(us|eu|ap|sa|ca|me|af|il|mx|cn)(-gov|-iso[a-z]?)?-[a-z]+-\d$/,
  "an AWS region such as eu-west-1",
);
export const KUBERNETES_VERSION = matching(/^1\.\d{2}$/, 'a Kubernetes minor version "1.NN" such as "1.35"');
// https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html#API_CreateCluster_RequestSyntax
export const EKS_CLUSTER_NAME = matching(
  /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/,
  "an EKS cluster name: 1-100 characters of letters, digits, - and _, starting with a letter or digit",
);
export const DNS_LABEL = matching(
  /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  "a DNS label (lowercase letters, digits and -, at most 63 characters)",
);
export const DNS_SUBDOMAIN = matching(
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  "a Kubernetes object name such as flux-system (lowercase letters, digits, - and .)",
);
export const API_GROUP = matching(
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/,
  "an API group such as cert-manager.io",
);
export const INSTANCE_TYPE = matching(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "an EC2 instance type such as m7i.large");
export const IAM_PRINCIPAL_ARN = matching(
  /^arn:aws(-cn|-us-gov|-iso|-iso-[a-z])?:iam::\d{12}:(role|user)\/[\w+=,.@\/-]+$/,
  "an IAM role or user ARN such as arn:aws:iam::123456789012:role/Admin",
);
export const SECURITY_GROUP_ID = matching(/^sg-([0-9a-f]{8}|[0-9a-f]{17})$/, "a security group id such as sg-0abc1234def567890");
export const VPC_ID = matching(/^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/, "a VPC id such as vpc-0abc1234def567890");
export const SUBNET_ID = matching(
  /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/,
  "a subnet id such as subnet-0abc1234def567890",
);
// Flux parses intervals as Go durations; a unit is required.
export const DURATION = matching(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'a duration such as "5m" or "1m30s"');
export const FLUX_VERSION = matching(/^2\.\d+\.(\d+|x)$/, 'a Flux 2.x version such as "2.9.2" or "2.9.x"');
export const CHART_VERSION = matching(/^\d+\.\d+\.\d+$/, 'a chart version such as "0.60.0"');
export const GIT_BRANCH = matching(
  /^(?!-|\/|.*\.\.|.*\/\/|.*\/$|.*\.lock$)[A-Za-z0-9._\/-]+$/,
  "a Git branch name such as main",
);
export const GITHUB_NAME = matching(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "a GitHub owner or repository name such as acme");
export const RELATIVE_DIR = matching(
  /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
  "a directory relative to the repository root such as clusters/development (no leading ./ or /, no ..)",
);
export const LOCAL_DIR = matching(/^[^\0]+$/, "a directory path such as examples/gitops");
export const NON_EMPTY = matching(/\S/, "a non-empty string");
// https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions
export const TAG_KEY = matching(
  /^(?!aws:)[\p{L}\p{N}\s_.:/=+\-@]{1,128}$/u,
  "an AWS tag key (1-128 characters, not aws:)",
);
export const TAG_VALUE = matching(/^[\p{L}\p{N}\s_.:/=+\-@]{0,256}$/u, "an AWS tag value (at most 256 characters)");
export const LABEL_KEY = matching(
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
  "a Kubernetes label key such as workload or example.com/tier",
);
export const LABEL_VALUE = matching(
  /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/,
  "a Kubernetes label value (at most 63 letters, digits, -, _ or .)",
);
export const MANIFEST_KEY = matching(
  /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/,
  "a manifest key such as iam_role",
);

// Flux's GitRepository takes ssh:// and http(s):// URLs only, not the scp form git@host:path.
// https://fluxcd.io/flux/components/source/gitrepositories/#url
export const REPO_URL_EXPECTED =
  "a Git URL Flux accepts, such as ssh://git@github.com/acme/gitops.git or https://github.com/acme/gitops.git " +
  "(write git@github.com:acme/gitops.git as ssh://git@github.com/acme/gitops.git)";

/** Host and repository path of a Git URL, and whether it is SSH; undefined when not one. */
export function parseRepoUrl(url: string): { ssh: boolean; host: string; path: string } | undefined {
  const sshUrl = /^ssh:\/\/[A-Za-z0-9._-]+@([A-Za-z0-9.-]+)(:\d+)?\/(.+)$/.exec(url);
  if (sshUrl) return { ssh: true, host: sshUrl[1], path: sshUrl[3] };
  const https = /^https:\/\/([A-Za-z0-9.-]+)(:\d+)?\/(.+)$/.exec(url);
  if (https) return { ssh: false, host: https[1], path: https[3] };
  return undefined;
}

export interface Cidr {
  text: string;
  network: string;
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefix > 32) return undefined;
  const address = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  const base = address - (address % size);
  const network = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join(".");
  return { text, network: `${network}/${prefix}`, prefix };
}

/**
 * The CPU architecture of an EC2 instance type: Graviton families carry a `g` right after the
 * generation digit (m7g, c6gn, t4g, r8g, im4gn, x2gd). https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html
 */
export function architectureOf(instanceType: string): "arm64" | "x86_64" {
  return /^[a-z]+\d+g[a-z-]*\./.test(instanceType) ? "arm64" : "x86_64";
}
