/**
 * Policy samples taken from the offline plan (offline/runProgram). Subnets and KMS keys are
 * AWS resources in the plan, so their inputs are used as they are. The EKS cluster and node
 * groups are @pulumi/eks remote components there: under mocks their AWS children are not
 * constructed, so the children's inputs are derived from the component's inputs the way the
 * component passes them on (encryptionConfigKeyArn -> encryptionConfig for "secrets", the
 * endpoint settings -> vpcConfig, subnetIds unchanged). Node groups use the stack's own launch
 * templates, which are AWS resources in the plan.
 */
import { ProgramRun, RecordedResource } from "../../offline/program";
import { Sample } from "./harness";

function sampleOf(resource: RecordedResource, stack: string, type = resource.type, props: Record<string, unknown> = resource.inputs): Sample {
  return { type, name: resource.name, stack, protect: resource.protect, props };
}

export function samplesFromPlan(run: ProgramRun): Sample[] {
  const samples: Sample[] = [];
  for (const resource of run.resources) {
    const inputs = resource.inputs as Record<string, any>;
    if (resource.type === "aws:ec2/subnet:Subnet") {
      samples.push(sampleOf(resource, run.stack, resource.type, { ...inputs, id: resource.id }));
    } else if (resource.type === "aws:kms/key:Key" || resource.type === "aws:ec2/launchTemplate:LaunchTemplate") {
      samples.push(sampleOf(resource, run.stack));
    } else if (resource.type === "eks:index:Cluster") {
      samples.push(sampleOf(resource, run.stack, "aws:eks/cluster:Cluster", {
        name: inputs.name,
        version: inputs.version,
        encryptionConfig: inputs.encryptionConfigKeyArn ? { provider: { keyArn: inputs.encryptionConfigKeyArn }, resources: ["secrets"] } : undefined,
        vpcConfig: {
          subnetIds: [...(inputs.privateSubnetIds ?? []), ...(inputs.publicSubnetIds ?? [])],
          endpointPublicAccess: inputs.endpointPublicAccess,
          endpointPrivateAccess: inputs.endpointPrivateAccess,
          publicAccessCidrs: inputs.publicAccessCidrs,
        },
      }));
    } else if (resource.type === "eks:index:ManagedNodeGroup") {
      const template = inputs.launchTemplate;
      samples.push(sampleOf(resource, run.stack, "aws:eks/nodeGroup:NodeGroup", {
        subnetIds: inputs.subnetIds,
        scalingConfig: inputs.scalingConfig,
        nodeRoleArn: inputs.nodeRoleArn,
        launchTemplate: template,
      }));
    }
  }
  return samples;
}
