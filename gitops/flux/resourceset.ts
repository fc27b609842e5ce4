import { stringify } from "yaml";
import { K8sObject, SourceLocation } from "../model";
import { GitopsInputError } from "../read/errors";
import { isRecord, parseManifests } from "../read/yaml";
import { renderResourceSetTemplate, TemplateUnsupported } from "./resourceset-template";

/**
 * The Flux Operator's ResourceSets, expanded as the operator expands them
 * (controlplaneio-fluxcd/flux-operator@17c6aea): the input sets (inline `spec.inputs`, then each
 * ResourceSetInputProvider of `inputsFrom`, internal/inputs/combine.go, Flatten strategy), each
 * template of `spec.resources` and `spec.resourcesTemplate` (or of each of `spec.steps`) rendered
 * once per input set (internal/builder/resourceset.go BuildResourceSet), objects annotated
 * `fluxcd.controlplane.io/reconcile: disabled` left out, duplicates kept once, then
 * `spec.commonMetadata`. Inputs that cannot be read offline (a provider listing pull requests,
 * branches, tags; one not in the repository) leave the ResourceSet unexpanded, with a note.
 */

const GROUP = "fluxcd.controlplane.io";

/** Objects a ResourceSet generates, and what was said about it. */
export interface ResourceSetExpansion {
  objects: K8sObject[];
  /** One per ResourceSet, at it: what it generated, or why it could not be expanded. */
  notes: { message: string; at: SourceLocation }[];
}

/** Looks up the ResourceSetInputProviders of a namespace the repository applies. */
export type InputProviderLookup = (namespace: string) => K8sObject[];

function describe(o: K8sObject): string {
  return `ResourceSet ${o.namespace ?? "default"}/${o.name}`;
}

/** adler32, as inputs.ID computes an input's id (internal/inputs/id.go). */
function adler32(text: string): string {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(text, "utf8")) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return String(((b << 16) | a) >>> 0);
}

function matchesLabels(o: K8sObject, selector: Record<string, unknown>): boolean {
  const labels = isRecord(o.body.metadata) && isRecord(o.body.metadata.labels) ? o.body.metadata.labels : {};
  const match = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  if (Array.isArray(selector.matchExpressions) && selector.matchExpressions.length > 0) throw new TemplateUnsupported("an inputsFrom selector with matchExpressions");
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** The input sets of a ResourceSet, Flatten strategy: its own, then its providers' sorted by name. */
function inputSets(rs: K8sObject, spec: Record<string, unknown>, providers: InputProviderLookup): Record<string, unknown>[] {
  const namespace = rs.namespace ?? "default";
  const strategy = isRecord(spec.inputStrategy) ? spec.inputStrategy.name : undefined;
  if (strategy !== undefined && strategy !== "Flatten") throw new TemplateUnsupported(`input strategy ${String(strategy)}`);
  const providerOf = (kind: string, name: string, ns: string) => ({ apiVersion: `${GROUP}/v1`, kind, name, namespace: ns });
  const sets: Record<string, unknown>[] = [];
  for (const input of Array.isArray(spec.inputs) ? spec.inputs : []) {
    if (isRecord(input)) sets.push({ ...input, provider: providerOf("ResourceSet", rs.name, namespace) });
  }
  const chosen = new Map<string, K8sObject>();
  for (const ref of Array.isArray(spec.inputsFrom) ? spec.inputsFrom : []) {
    if (!isRecord(ref)) continue;
    const candidates = providers(namespace);
    const found = typeof ref.name === "string"
      ? candidates.filter((p) => p.name === ref.name)
      : isRecord(ref.selector) ? candidates.filter((p) => matchesLabels(p, ref.selector as Record<string, unknown>)) : [];
    if (found.length === 0 && typeof ref.name === "string") {
      throw new TemplateUnsupported(`its input provider ResourceSetInputProvider/${ref.name} is not in what this check reads`);
    }
    for (const p of found) chosen.set(p.name, p);
  }
  for (const name of [...chosen.keys()].sort()) {
    const p = chosen.get(name)!;
    const pspec = isRecord(p.body.spec) ? p.body.spec : {};
    if (pspec.type !== "Static") {
      throw new TemplateUnsupported(`its inputs come from ResourceSetInputProvider/${name} of type ${String(pspec.type)}, which lists what only the live service knows`);
    }
    // A Static provider exports its defaultValues and an id (the adler32 of its UID, which only the
    // cluster knows: this stands in the provider's namespace/name).
    const defaults = isRecord(pspec.defaultValues) ? pspec.defaultValues : {};
    sets.push({ ...defaults, id: adler32(`${namespace}/${name}`), provider: providerOf("ResourceSetInputProvider", name, namespace) });
  }
  return sets;
}

/** The objects one template set generates over the input sets (BuildResourceSet). */
function build(rs: K8sObject, resources: unknown, template: unknown, sets: Record<string, unknown>[]): K8sObject[] {
  const objects: K8sObject[] = [];
  const keys = new Set<string>();
  const add = (o: K8sObject, dedup: boolean) => {
    const key = `${o.group}/${o.kind}/${o.namespace ?? ""}/${o.name}`;
    if (dedup && keys.has(key)) return;
    keys.add(key);
    objects.push(o);
  };
  const disabled = (o: K8sObject) => isRecord(o.body.metadata) && isRecord(o.body.metadata.annotations)
    && o.body.metadata.annotations["fluxcd.controlplane.io/reconcile"] === "disabled";
  const read = (text: string): K8sObject[] => {
    try {
      return parseManifests(text, rs.source.file).map((o) => ({ ...o, source: rs.source }));
    } catch (e) {
      if (e instanceof GitopsInputError) throw new TemplateUnsupported(`a template renders YAML that does not parse (${e.message})`);
      throw e;
    }
  };
  const inputs: (Record<string, unknown> | undefined)[] = sets.length === 0 ? [undefined] : sets;
  for (const resource of Array.isArray(resources) ? resources : []) {
    // Each entry is JSON turned into YAML, then rendered (BuildResource: yaml.JSONToYAML).
    const text = stringify(resource, { lineWidth: 0 });
    for (const input of inputs) {
      for (const o of read(renderResourceSetTemplate(text, input ?? {}))) if (input === undefined || !disabled(o)) add(o, input !== undefined);
    }
  }
  if (typeof template === "string" && template.trim() !== "") {
    for (const input of inputs) for (const o of read(renderResourceSetTemplate(template, input ?? {}))) if (!disabled(o)) add(o, true);
  }
  return objects;
}

function withCommonMetadata(objects: K8sObject[], common: unknown): K8sObject[] {
  if (!isRecord(common)) return objects;
  return objects.map((o) => {
    const metadata = isRecord(o.body.metadata) ? { ...o.body.metadata } : {};
    for (const field of ["labels", "annotations"] as const) {
      if (isRecord(common[field])) metadata[field] = { ...(isRecord(metadata[field]) ? metadata[field] : {}), ...common[field] };
    }
    return { ...o, body: { ...o.body, metadata } };
  });
}

/** The objects the ResourceSets among `objects` generate, and a note for each ResourceSet. */
export function expandResourceSets(objects: K8sObject[], providers: InputProviderLookup): ResourceSetExpansion {
  const expansion: ResourceSetExpansion = { objects: [], notes: [] };
  for (const rs of objects) {
    if (rs.kind !== "ResourceSet" || rs.group !== GROUP) continue;
    const spec = isRecord(rs.body.spec) ? rs.body.spec : {};
    try {
      // A dependsOn on a CRD makes the ResourceSet conditional: it applies nothing until that API
      // exists, which may never happen on this cluster (d2-fleet's flux-operator set waits for the
      // HelmRelease CRD, absent where Flux runs without helm-controller).
      const crd = (Array.isArray(spec.dependsOn) ? spec.dependsOn : []).find((d) => isRecord(d) && d.kind === "CustomResourceDefinition");
      if (isRecord(crd)) throw new TemplateUnsupported(`it waits for CustomResourceDefinition ${String(crd.name)}, which may never exist on this cluster`);
      const sets = inputSets(rs, spec, providers);
      const steps = Array.isArray(spec.steps) ? spec.steps.filter(isRecord) : [{ resources: spec.resources, resourcesTemplate: spec.resourcesTemplate }];
      const generated = withCommonMetadata(steps.flatMap((step) => build(rs, step.resources, step.resourcesTemplate, sets)), spec.commonMetadata);
      expansion.objects.push(...generated);
      expansion.notes.push({ at: rs.source, message: `${describe(rs)} generates ${generated.length} object${generated.length === 1 ? "" : "s"} from ${sets.length} input set${sets.length === 1 ? "" : "s"} (the Flux Operator's templating, read offline); they are checked as this Kustomization's` });
    } catch (e) {
      if (!(e instanceof TemplateUnsupported)) throw e;
      expansion.notes.push({ at: rs.source, message: `${describe(rs)} is not expanded: ${e.message}; what it generates is not checked` });
    }
  }
  return expansion;
}
