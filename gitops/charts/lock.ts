import * as fs from "fs";
import * as path from "path";
import { GitopsInputError } from "../read/errors";
import { isRecord } from "../read/yaml";
import { ChartFacts } from "./extract";
import { parseConstraints, parseVersion, satisfies, compareVersions, Version } from "./semver";
import { ChartRequest } from "./sources";

/**
 * `.gitops-cluster/charts.lock.json` at the repository root: what each chart version (and each
 * remote input) installs, read from the real archive once, so `verify` is exact offline. JSON in a
 * dot folder, so no Flux Kustomization ever applies it.
 */
export const LOCK_FILE = ".gitops-cluster/charts.lock.json";
export const LOCK_FORMAT = 1;

export interface LockedChart {
  /** The repository as the HelmRelease's source names it (before any mirror). */
  repository: string;
  chart: string;
  /** The version resolved (as the index or tag list spells it). */
  version: string;
  /** sha256 of the chart archive: "sha256:<hex>". */
  digest: string;
  facts: ChartFacts;
}

/** A remote input (an https:// kustomize resource, a bootstrap manifest by URL) and the CRD groups it defines. */
export interface LockedRemote {
  url: string;
  digest: string;
  groups: string[];
}

export interface ChartsLock {
  lockFormat: number;
  charts: LockedChart[];
  remote: LockedRemote[];
}

export function emptyLock(): ChartsLock {
  return { lockFormat: LOCK_FORMAT, charts: [], remote: [] };
}

/** The lock of a repository, or undefined when it has none. A malformed lock is an input error naming it. */
export function readLock(repoRoot: string): ChartsLock | undefined {
  const file = path.join(repoRoot, LOCK_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new GitopsInputError(`cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, LOCK_FILE, 1);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new GitopsInputError(`not JSON (${(err as Error).message}); rewrite it with \`gitops-cluster charts lock\``, LOCK_FILE, 1);
  }
  if (!isRecord(data) || data.lockFormat !== LOCK_FORMAT || !Array.isArray(data.charts)) {
    throw new GitopsInputError(`expected {lockFormat: ${LOCK_FORMAT}, charts: [...], remote: [...]}; rewrite it with \`gitops-cluster charts lock\``, LOCK_FILE, 1);
  }
  const charts = data.charts.filter((c): c is LockedChart =>
    isRecord(c) && typeof c.repository === "string" && typeof c.chart === "string" && typeof c.version === "string"
    && typeof c.digest === "string" && isRecord(c.facts) && Array.isArray((c.facts as Record<string, unknown>).crds));
  if (charts.length !== data.charts.length) throw new GitopsInputError("a chart entry lacks repository, chart, version, digest or facts; rewrite it with `gitops-cluster charts lock`", LOCK_FILE, 1);
  const remote = (Array.isArray(data.remote) ? data.remote : []).filter((r): r is LockedRemote =>
    isRecord(r) && typeof r.url === "string" && typeof r.digest === "string" && Array.isArray(r.groups));
  return { lockFormat: LOCK_FORMAT, charts, remote };
}

/** Writes the lock, sorted so that it diffs well; all or nothing (a temporary file renamed). */
export function writeLock(repoRoot: string, lock: ChartsLock): string {
  const file = path.join(repoRoot, LOCK_FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sorted: ChartsLock = {
    lockFormat: LOCK_FORMAT,
    charts: [...lock.charts].sort((a, b) => a.repository.localeCompare(b.repository) || a.chart.localeCompare(b.chart) || a.version.localeCompare(b.version)),
    remote: [...lock.remote].sort((a, b) => a.url.localeCompare(b.url)),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(sorted, null, 2)}\n`);
  fs.renameSync(tmp, file);
  return file;
}

/** Adds or replaces entries (same repository, chart and version; same URL). */
export function mergeLock(lock: ChartsLock, charts: LockedChart[], remote: LockedRemote[]): ChartsLock {
  const key = (c: LockedChart) => `${c.repository}\u0000${c.chart}\u0000${c.version}`;
  const byKey = new Map(lock.charts.map((c) => [key(c), c]));
  for (const c of charts) byKey.set(key(c), c);
  const byUrl = new Map(lock.remote.map((r) => [r.url, r]));
  for (const r of remote) byUrl.set(r.url, r);
  return { lockFormat: LOCK_FORMAT, charts: [...byKey.values()], remote: [...byUrl.values()] };
}

/**
 * The locked chart a request resolves to offline: an exact version match, else the highest
 * locked version the constraint accepts (as source-controller would pick among those). A digest
 * pin must match. `versions` lists what the lock has for the chart when nothing fits.
 */
export function findLocked(entries: readonly LockedChart[], request: ChartRequest): { entry: LockedChart } | { versions: string[] } {
  if (request.protocol === "source") return { versions: [] };
  const same = entries.filter((c) => c.repository === request.repository && c.chart === request.chart);
  if (request.digest !== undefined) {
    const pinned = same.find((c) => c.digest === request.digest || (c as LockedChart & { manifestDigest?: string }).manifestDigest === request.digest);
    return pinned === undefined ? { versions: same.map((c) => c.version) } : { entry: pinned };
  }
  const exact = same.find((c) => c.version === request.version || c.version === `v${request.version}`);
  if (exact !== undefined) return { entry: exact };
  if (request.exactTag === true) return { versions: same.map((c) => c.version) };
  const constraints = parseConstraints(request.version === "" ? "*" : request.version);
  if (typeof constraints === "string") return { versions: same.map((c) => c.version) };
  let best: { entry: LockedChart; v: Version } | undefined;
  for (const c of same) {
    const v = parseVersion(c.version);
    if (v === undefined || !satisfies(v, constraints)) continue;
    if (best === undefined || compareVersions(v, best.v) > 0) best = { entry: c, v };
  }
  return best === undefined ? { versions: same.map((c) => c.version) } : { entry: best.entry };
}
