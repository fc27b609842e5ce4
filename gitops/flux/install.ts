/**
 * What a repository says about the Flux that runs it: the version and controllers its own
 * install manifests carry (`flux bootstrap`'s gotk-components.yaml, or a FluxInstance), the
 * controllers its objects need, and which of its objects are Flux's own install and sync
 * manifests (what this stack installs and owns instead).
 */
import { controllerOfKind, DEFAULT_FLUX_COMPONENTS, FLUX_COMPONENT_NAMES, FluxComponent, isFluxComponent } from "./apis";
import { K8sObject } from "../model";
import { Repo } from "../read/repo";
import { isRecord } from "../read/yaml";

/** The namespace and name `flux bootstrap` gives its GitRepository and root Kustomization. */
const FLUX_SYSTEM = "flux-system";

/** The Flux install a repository carries itself. */
export interface CommittedFluxInstall {
  /** e.g. "v2.1.2" from `# Flux Version: v2.1.2`, or a FluxInstance's distribution.version. */
  version?: string;
  /** From `# Components: a,b,c`, or a FluxInstance's spec.components. */
  components?: FluxComponent[];
  /** Where it was read. */
  source: { file: string; line: number };
}

// `flux install --export` and `flux bootstrap` write this header on gotk-components.yaml
// (fluxcd/flux2 pkg/manifestgen/install: "# Flux Version: ..." and "# Components: ...").
const VERSION_HEADER = /^#\s*Flux Version:\s*(\S+)\s*$/m;
const COMPONENTS_HEADER = /^#\s*Components:\s*(\S+)\s*$/m;

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

/**
 * The Flux install the applied objects carry: a FluxInstance's `spec.distribution.version` and
 * `spec.components`, else the header of a file that holds Flux controller Deployments.
 */
export function committedFluxInstall(repo: Repo, objects: K8sObject[]): CommittedFluxInstall | undefined {
  const instance = objects.find((o) => o.kind === "FluxInstance" && o.group === "fluxcd.controlplane.io");
  if (instance !== undefined) {
    const spec = isRecord(instance.body.spec) ? instance.body.spec : {};
    const distribution = isRecord(spec.distribution) ? spec.distribution : {};
    const components = Array.isArray(spec.components) ? spec.components.filter((c): c is FluxComponent => typeof c === "string" && isFluxComponent(c)) : undefined;
    return {
      ...(typeof distribution.version === "string" ? { version: distribution.version } : {}),
      ...(components === undefined ? {} : { components }),
      source: instance.source,
    };
  }
  const files = [...new Set(objects.filter(isFluxControllerDeployment).map((o) => o.source.file))];
  for (const file of files) {
    const text = repo.readText(file);
    const version = VERSION_HEADER.exec(text);
    const components = COMPONENTS_HEADER.exec(text);
    if (version === null && components === null) continue;
    return {
      ...(version === null ? {} : { version: version[1] }),
      ...(components === null ? {} : { components: components[1].split(",").filter(isFluxComponent) }),
      source: { file, line: lineOf(text, (version ?? components)!.index) },
    };
  }
  return undefined;
}

/** Why the instance runs a controller beyond the defaults: the first object that needs it. */
export interface ComponentNeed {
  component: FluxComponent;
  object: K8sObject;
}

/**
 * The controllers the applied objects need: the four defaults, plus the controller serving each
 * Flux kind they apply (image-reflector for ImageRepository/ImagePolicy, image-automation for
 * ImageUpdateAutomation, source-watcher for ArtifactGenerator). Flux's own install manifests are
 * not counted: they describe controllers, they are not served by them.
 */
export function requiredComponents(objects: K8sObject[]): { components: FluxComponent[]; needs: ComponentNeed[] } {
  const set = new Set<FluxComponent>(DEFAULT_FLUX_COMPONENTS);
  const needs: ComponentNeed[] = [];
  for (const o of objects) {
    const controller = controllerOfKind(o.group, o.kind);
    if (controller === undefined) continue;
    if (!needs.some((n) => n.component === controller)) needs.push({ component: controller, object: o });
    set.add(controller);
  }
  return { components: FLUX_COMPONENT_NAMES.filter((c) => set.has(c)), needs };
}

export function isFluxControllerDeployment(o: K8sObject): boolean {
  return o.kind === "Deployment" && o.group === "apps" && o.namespace === FLUX_SYSTEM && isFluxComponent(o.name);
}

function isFluxCrd(o: K8sObject): boolean {
  if (o.kind !== "CustomResourceDefinition" || o.group !== "apiextensions.k8s.io") return false;
  const spec = isRecord(o.body.spec) ? o.body.spec : {};
  return typeof spec.group === "string" && (spec.group.endsWith(".toolkit.fluxcd.io") || spec.group === "source.extensions.fluxcd.io");
}

/** The GitRepository and Kustomization `flux-system/flux-system` that `flux bootstrap` commits (gotk-sync.yaml). */
function isBootstrapSync(o: K8sObject): boolean {
  return o.name === FLUX_SYSTEM && o.namespace === FLUX_SYSTEM
    && ((o.kind === "GitRepository" && o.group === "source.toolkit.fluxcd.io")
      || (o.kind === "Kustomization" && o.group === "kustomize.toolkit.fluxcd.io"));
}

/** What kind of Flux install or sync manifest an object is, or undefined when it is the user's own. */
export function bootstrapLeftoverKind(o: K8sObject): "controller" | "crd" | "sync" | undefined {
  if (isFluxControllerDeployment(o)) return "controller";
  if (isFluxCrd(o)) return "crd";
  if (isBootstrapSync(o)) return "sync";
  return undefined;
}
