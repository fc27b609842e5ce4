/**
 * How a Flux Kustomization tears down what it applied, and which applied objects hold AWS
 * resources that must be gone before the cluster's network can be deleted.
 *
 * kustomize-controller (internal/controller/kustomization_controller.go, `finalize()` and
 * `finalizerShouldDeleteResources()`): on deletion it deletes its inventory unless the
 * Kustomization is suspended, the policy is `Orphan`, or the policy is `MirrorPrune` (the
 * default) with `prune: false`. It waits for the deleted objects to terminate only with
 * `WaitForTermination`, for at most `spec.timeout` (default: interval - 30s), polling every 2s;
 * after that timeout it logs "failed to wait for resources termination" and removes its
 * finalizer anyway. Every other policy removes the finalizer as soon as the deletes are issued.
 */
import type { K8sObject } from "../model";
import { isRecord } from "../read/yaml";

/** `spec.deletionPolicy` values (kustomize-controller api/v1 kustomization_types.go). */
export const DELETION_POLICIES = ["MirrorPrune", "Delete", "WaitForTermination", "Orphan"] as const;
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

export const WAIT_FOR_TERMINATION: DeletionPolicy = "WaitForTermination";

/**
 * The Flux `spec.patches` entry that gives every Kustomization a Kustomization applies the
 * policy `WaitForTermination`: a target patch, whose body's name is a placeholder (`_`) because
 * a patch with a target applies to every object the selector matches, whatever name it carries.
 * It reaches the direct children only: a grandchild is applied, and patched, by its own parent.
 */
export function waitForTerminationPatch(): { target: { group: string; kind: string }; patch: string } {
  return {
    target: { group: "kustomize.toolkit.fluxcd.io", kind: "Kustomization" },
    patch: [
      "apiVersion: kustomize.toolkit.fluxcd.io/v1",
      "kind: Kustomization",
      "metadata:",
      "  name: _",
      "spec:",
      `  deletionPolicy: ${WAIT_FOR_TERMINATION}`,
      "",
    ].join("\n"),
  };
}

/** What deleting the Kustomization whose spec this is does with what it applied. */
export function teardownOf(spec: Record<string, unknown>): "waits" | "deletes" | "orphans" {
  if (spec.suspend === true) return "orphans";
  const policy = typeof spec.deletionPolicy === "string" && spec.deletionPolicy !== "" ? spec.deletionPolicy : "MirrorPrune";
  switch (policy) {
    case "WaitForTermination":
      return "waits";
    case "Delete":
      return "deletes";
    case "MirrorPrune":
      return spec.prune === true ? "deletes" : "orphans";
    default:
      return "orphans";
  }
}

/** CSI drivers (and the in-tree plugin) whose volumes are EBS or EFS. */
const AWS_PROVISIONERS = new Set(["ebs.csi.aws.com", "efs.csi.aws.com", "kubernetes.io/aws-ebs"]);

/** An object whose deletion makes a controller delete an AWS resource, and which resource. */
export interface AwsBackedObject {
  object: K8sObject;
  /** e.g. "load balancer (Ingress)", "EBS volume (PVC, class gp3)". */
  holds: string;
}

function specOf(o: K8sObject): Record<string, unknown> {
  return isRecord(o.body.spec) ? o.body.spec : {};
}

/** StorageClass name -> provisioner, and the default class's name, from every object given. */
export function storageClassesIn(objects: Iterable<K8sObject>): { provisioners: Map<string, string>; defaultClass?: string } {
  const provisioners = new Map<string, string>();
  let defaultClass: string | undefined;
  for (const o of objects) {
    if (o.kind !== "StorageClass" || o.group !== "storage.k8s.io") continue;
    if (typeof o.body.provisioner === "string") provisioners.set(o.name, o.body.provisioner);
    const metadata = isRecord(o.body.metadata) ? o.body.metadata : {};
    const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
    if (annotations["storageclass.kubernetes.io/is-default-class"] === "true") defaultClass = o.name;
  }
  return { provisioners, defaultClass };
}

/**
 * The objects among `objects` that AWS backs: a Service of type LoadBalancer (an NLB or CLB), an
 * Ingress (an ALB through the Load Balancer Controller), a Gateway (gateway.networking.k8s.io),
 * a TargetGroupBinding, and a PersistentVolumeClaim whose class provisions EBS or EFS (its PV
 * has reclaim policy Delete by default). Each leaves its AWS resource behind, and the VPC with
 * it, when its controller is gone before it is deleted.
 */
export function awsBackedObjects(
  objects: readonly K8sObject[],
  classes: { provisioners: Map<string, string>; defaultClass?: string },
): AwsBackedObject[] {
  const out: AwsBackedObject[] = [];
  for (const o of objects) {
    const spec = specOf(o);
    if (o.group === "" && o.kind === "Service" && spec.type === "LoadBalancer") {
      out.push({ object: o, holds: "load balancer (Service type LoadBalancer)" });
    } else if (o.group === "networking.k8s.io" && o.kind === "Ingress") {
      out.push({ object: o, holds: "load balancer (Ingress)" });
    } else if (o.group === "gateway.networking.k8s.io" && o.kind === "Gateway") {
      out.push({ object: o, holds: "load balancer (Gateway)" });
    } else if (o.group === "elbv2.k8s.aws" && o.kind === "TargetGroupBinding") {
      out.push({ object: o, holds: "target group registrations (TargetGroupBinding)" });
    } else if (o.group === "" && o.kind === "PersistentVolumeClaim") {
      // An explicit "" means no class (a pre-bound volume): nothing is provisioned.
      const className = typeof spec.storageClassName === "string" ? spec.storageClassName : classes.defaultClass;
      const provisioner = className === undefined || className === "" ? undefined : classes.provisioners.get(className);
      if (provisioner !== undefined && AWS_PROVISIONERS.has(provisioner)) {
        out.push({ object: o, holds: `${provisioner.startsWith("efs") ? "EFS access point" : "EBS volume"} (PVC, class ${className})` });
      }
    }
  }
  return out;
}
