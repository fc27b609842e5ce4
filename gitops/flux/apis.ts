/**
 * Which versions of each Flux kind a Flux release serves, and which controller serves it.
 *
 * The table is facts (served-versions.json): the newest row is derived from the upstream CRDs by
 * `npm run facts:flux` (tools/flux-facts.ts); older rows were read once the same way from each
 * release: for each Flux minor, fluxcd/flux2 `manifests/bases/<controller>/kustomization.yaml` at tag
 * `v<minor>.0` names the controller release it ships, and that controller's
 * `config/crd/bases/*.yaml` at that release tag lists the versions with `served: true`.
 * For example Flux 2.8 ships kustomize-controller v1.8.0, whose Kustomization CRD serves only
 * `v1` (v1beta2 was removed on 2026-02-11); Flux 2.7 ships v1.7.0, which still served `v1beta2`.
 */
import servedTable from "./served-versions.json";

/** A Flux controller the Flux Operator can install (FluxInstance `spec.components`). */
export type FluxComponent =
  | "source-controller"
  | "kustomize-controller"
  | "helm-controller"
  | "notification-controller"
  | "image-reflector-controller"
  | "image-automation-controller"
  | "source-watcher";

export const FLUX_COMPONENT_NAMES: readonly FluxComponent[] = [
  "source-controller",
  "kustomize-controller",
  "helm-controller",
  "notification-controller",
  "image-reflector-controller",
  "image-automation-controller",
  "source-watcher",
];

/** What the Flux Operator installs when `spec.components` is not set, and what `flux install` installs. */
export const DEFAULT_FLUX_COMPONENTS: readonly FluxComponent[] = [
  "source-controller",
  "kustomize-controller",
  "helm-controller",
  "notification-controller",
];

export function isFluxComponent(name: string): name is FluxComponent {
  return (FLUX_COMPONENT_NAMES as readonly string[]).includes(name);
}

/** One Flux kind as a Flux release serves it. */
export interface FluxKindVersions {
  group: string;
  kind: string;
  controller: FluxComponent;
  /** Versions with `served: true` in the CRD, oldest first as the CRD lists them. */
  served: string[];
  /** The storage version: the one to migrate to. */
  storage: string;
}

interface MinorRow {
  flux: string;
  fluxTag: string;
  controllers: { controller: string; release: string; readAt?: string }[];
  kinds: { group: string; kind: string; controller: string; served: string[]; storage: string }[];
}

const MINORS: MinorRow[] = (servedTable as { minors: MinorRow[] }).minors;

/** Where the table comes from, for messages. */
export const FLUX_TABLE_SOURCE = "fluxcd/flux2 manifests/bases at v<minor>.0 and the controllers' config/crd/bases at those releases";

/** The Flux API groups (every kind of which is served by one of the controllers above). */
export const FLUX_GROUPS: ReadonlySet<string> = new Set(MINORS.flatMap((m) => m.kinds.map((k) => k.group)));

/** "2.9.x", "2.9.2", "v2.9.2", "2.9" -> "2.9"; undefined when not a Flux 2 version. */
export function fluxMinor(version: string): string | undefined {
  const text = version.trim();
  // A FluxInstance may ask for the newest release of a major ("2.x", the Flux Operator's semver
  // range): the newest minor this table knows stands in for it.
  if (/^v?2(\.(x|\*))?$/.test(text)) return MINORS[MINORS.length - 1].flux;
  const match = /^v?(\d+)\.(\d+)(?:\.(?:\d+|x|\*))?(?:[-+].*)?$/.exec(text);
  return match === null ? undefined : `${match[1]}.${match[2]}`;
}

function compareMinor(a: string, b: string): number {
  const [am, an] = a.split(".").map(Number);
  const [bm, bn] = b.split(".").map(Number);
  return am - bm || an - bn;
}

/** What one Flux version serves: the table row of its minor. */
export interface FluxApis {
  /** The minor the table row is for (the newest row when the version is newer than the table). */
  minor: string;
  /** True when the version is newer than the table, so the newest row stands in for it. */
  beyondTable: boolean;
  kinds: Map<string, FluxKindVersions>;
}

/**
 * The served versions for a Flux version, or undefined when it is not a Flux 2 version (the
 * caller reports that). Flux 2 before its GA (0.x, the toolkit's own numbering) is Flux 2 too: the
 * table's oldest row is its last release line, 0.41, and older versions use that row.
 */
export function fluxApisFor(version: string): FluxApis | undefined {
  const minor = fluxMinor(version);
  if (minor === undefined || !(minor.startsWith("2.") || minor.startsWith("0."))) return undefined;
  const newest = MINORS[MINORS.length - 1];
  const row = MINORS.find((m) => m.flux === minor)
    ?? (compareMinor(minor, newest.flux) > 0 ? newest : MINORS[0]);
  const kinds = new Map<string, FluxKindVersions>();
  for (const k of row.kinds) {
    kinds.set(`${k.group}/${k.kind}`, { ...k, controller: k.controller as FluxComponent });
  }
  return { minor: row.flux, beyondTable: compareMinor(minor, newest.flux) > 0, kinds };
}

/** The controller that serves a Flux kind, from the newest row that has the kind. */
export function controllerOfKind(group: string, kind: string): FluxComponent | undefined {
  for (let i = MINORS.length - 1; i >= 0; i--) {
    const k = MINORS[i].kinds.find((row) => row.group === group && row.kind === kind);
    if (k !== undefined) return k.controller as FluxComponent;
  }
  return undefined;
}
