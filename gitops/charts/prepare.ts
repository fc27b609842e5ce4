import { VerifyOptions, VerifyResult } from "../model";
import { GraphNode } from "../flux/graph";
import { verifyRepository } from "../verify";
import { ChartCache, defaultCacheDir } from "./cache";
import { ChartFetcher, ChartFetchError, FetchOptions } from "./fetch";
import { emptyLock, LockedChart, LockedRemote, mergeLock, readLock, writeLock } from "./lock";
import { ChartKnowledge, requestKey } from "./release";
import { ChartMirror, ChartRequest, describeRequest } from "./sources";

/** How a run may reach charts: offline or not, mirrors, the cache, progress. */
export interface ChartAccess {
  offline: boolean;
  mirrors: ChartMirror[];
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
  progress?: FetchOptions["progress"];
  /** Test hooks: shorter timeouts and backoff. */
  timeoutMs?: number;
  backoffMs?: number;
  attempts?: number;
}

export function fetcherFor(access: ChartAccess): ChartFetcher {
  return new ChartFetcher({
    cache: new ChartCache(access.cacheDir ?? defaultCacheDir(access.env)),
    offline: access.offline,
    mirrors: access.mirrors,
    env: access.env,
    progress: access.progress,
    timeoutMs: access.timeoutMs,
    backoffMs: access.backoffMs,
    attempts: access.attempts,
  });
}

/** The lock of a repository as chart knowledge (an empty one when it has none). */
export function knowledgeFromLock(repoDir: string, offline: boolean): ChartKnowledge {
  const lock = readLock(repoDir);
  return { locked: lock?.charts ?? [], remote: lock?.remote ?? [], lockPresent: lock !== undefined, offline };
}

/** Chart requests the graph could name but not read from the knowledge it had. */
export function unlockedRequests(result: VerifyResult): ChartRequest[] {
  const out = new Map<string, ChartRequest>();
  for (const n of result.kustomizations as GraphNode[]) {
    for (const h of n.helmReleases ?? []) {
      const r = h.chartInfo?.notLocked?.request;
      if (r !== undefined && r.protocol !== "source") out.set(requestKey(r), r);
    }
  }
  return [...out.values()];
}

/**
 * Remote resources the graph could not read that are files to fetch: an http(s) URL that is not a
 * git repository spec (kustomize api/internal/git/repospec.go: `//` after the repository, `?ref=`,
 * `.git`, `_git/`), e.g. a release's install manifest.
 */
export function isRemoteFile(ref: string): boolean {
  if (!/^https?:\/\/[^/]+\/./.test(ref)) return false;
  const rest = ref.replace(/^https?:\/\/[^/]+/, "");
  return !/\/\/|[?&](ref|version|submodules|timeout)=|\.git($|[/?])|\/_git\//.test(rest);
}

/** Remote resources (https:// files in a kustomization, manifests applied before Flux by URL) the graph could not read. */
export function remoteUrls(result: VerifyResult): string[] {
  const out = new Set<string>();
  for (const n of result.kustomizations) {
    for (const u of n.unresolved) if (u.reason === "remote-resource" && isRemoteFile(u.ref)) out.add(u.ref);
  }
  for (const u of result.bootstrapRemotes ?? []) out.add(u);
  return [...out];
}

/**
 * Runs `fetch` over every item in parallel (the fetcher bounds concurrency); a ChartFetchError is
 * kept under the item's key, anything else is a bug and thrown.
 */
async function settled<I, T>(items: I[], fetch: (item: I) => Promise<T>, key: (item: I) => string, why: (err: ChartFetchError) => string): Promise<{ done: T[]; failures: Map<string, string> }> {
  const failures = new Map<string, string>();
  const done: T[] = [];
  await Promise.all(items.map(async (item) => {
    try {
      done.push(await fetch(item));
    } catch (err) {
      if (!(err instanceof ChartFetchError)) throw err;
      failures.set(key(item), why(err));
    }
  }));
  return { done, failures };
}

/** Every chart request fetched; failures are kept by request key, not thrown. */
export async function fetchAll(fetcher: ChartFetcher, requests: ChartRequest[]): Promise<{ charts: LockedChart[]; failures: Map<string, string> }> {
  const r = await settled(requests, (q) => fetcher.resolve(q), requestKey, (err) => `fetching it failed: ${err.message}`);
  return { charts: r.done, failures: r.failures };
}

/** Every remote input fetched; failures are kept by URL, not thrown. */
export async function fetchRemotes(fetcher: ChartFetcher, urls: string[]): Promise<{ remote: LockedRemote[]; failures: Map<string, string> }> {
  const r = await settled(urls, (u) => fetcher.remote(u), (u) => u, (err) => err.message);
  return { remote: r.done, failures: r.failures };
}

/** What one run needs beyond the lock: chart requests and remote URLs (JSON, for `charts fetch`). */
export interface MissingInputs {
  requests: ChartRequest[];
  urls: string[];
}

/** What a run fetched beyond the lock (JSON: failures as [request key, why] pairs). */
export interface Fetched {
  charts: LockedChart[];
  remote: LockedRemote[];
  failures: [string, string][];
}

/** The chart requests and remote URLs a verification could not read from its knowledge. */
export function missingInputs(result: VerifyResult, knowledge: ChartKnowledge): MissingInputs {
  return { requests: unlockedRequests(result), urls: remoteUrls(result).filter((u) => !knowledge.remote.some((r) => r.url === u)) };
}

/** Fetches what is missing (into the cache, never into the lock); failures are kept, not thrown. */
export async function fetchMissing(missing: MissingInputs, access: ChartAccess): Promise<Fetched> {
  const fetcher = fetcherFor(access);
  const [fetched, remotes] = await Promise.all([fetchAll(fetcher, missing.requests), fetchRemotes(fetcher, missing.urls)]);
  return { charts: fetched.charts, remote: remotes.remote, failures: [...fetched.failures] };
}

/** The knowledge with what this run fetched added. */
export function withFetched(knowledge: ChartKnowledge, fetched: Fetched): ChartKnowledge {
  return {
    ...knowledge,
    locked: [...knowledge.locked, ...fetched.charts],
    remote: [...knowledge.remote, ...fetched.remote],
    failures: new Map(fetched.failures),
  };
}

/**
 * `verify` with charts: the lock first; when the network is allowed, the charts the lock lacks are
 * fetched (into the cache, not the lock) and the verification runs again with them.
 */
export async function verifyWithCharts(repoDir: string, cluster: string, options: VerifyOptions, access: ChartAccess): Promise<VerifyResult> {
  const knowledge = knowledgeFromLock(repoDir, access.offline);
  const first = verifyRepository(repoDir, cluster, { ...options, charts: knowledge });
  const missing = missingInputs(first, knowledge);
  if (access.offline || (missing.requests.length === 0 && missing.urls.length === 0)) return first;
  const fetched = await fetchMissing(missing, access);
  if (fetched.charts.length === 0 && fetched.failures.length === 0 && fetched.remote.length === 0) return first;
  return verifyRepository(repoDir, cluster, { ...options, charts: withFetched(knowledge, fetched) });
}

/** What `charts lock` did. */
export interface LockOutcome {
  file: string;
  charts: LockedChart[];
  remote: LockedRemote[];
  failures: string[];
}

/**
 * Writes the lock for the given cluster paths: every chart their HelmReleases name, resolved and
 * read afresh (the cache makes a known version free), and every remote resource. Entries of other
 * clusters already in the lock are kept when only some clusters are locked.
 */
export async function lockCharts(repoDir: string, clusters: string[], options: VerifyOptions, access: ChartAccess, replace: boolean): Promise<LockOutcome> {
  const fetcher = fetcherFor(access);
  const blank: ChartKnowledge = { locked: [], remote: [], lockPresent: false, offline: access.offline };
  const requests = new Map<string, ChartRequest>();
  const urls = new Set<string>();
  for (const cluster of clusters) {
    const result = verifyRepository(repoDir, cluster, { ...options, charts: blank });
    for (const r of unlockedRequests(result)) requests.set(requestKey(r), r);
    for (const u of remoteUrls(result)) urls.add(u);
  }
  const [fetched, remotes] = await Promise.all([fetchAll(fetcher, [...requests.values()]), fetchRemotes(fetcher, [...urls])]);
  const base = replace ? emptyLock() : readLock(repoDir) ?? emptyLock();
  const lock = mergeLock(base, fetched.charts, remotes.remote);
  const file = writeLock(repoDir, lock);
  return {
    file,
    charts: fetched.charts,
    remote: remotes.remote,
    failures: [...[...fetched.failures.entries()].map(([k, why]) => `${describeRequest(requests.get(k)!)}: ${why}`), ...[...remotes.failures.entries()].map(([u, why]) => `${u}: ${why}`)],
  };
}

/**
 * A remote input by URL (an https:// kustomize resource, a bootstrap manifest given by URL such as
 * a Talos `cluster.extraManifests` entry): fetched once into the cache, mirrors applied, read for
 * the CRD groups it defines. The one function other readers call; `charts lock` records the result.
 */
export function remoteInput(url: string, access: ChartAccess): Promise<LockedRemote> {
  return fetcherFor(access).remote(url);
}

/**
 * What the lock (or this run's fetches) says a remote input defines, offline; undefined when it is
 * not locked, in which case findings about groups it may install are warnings.
 */
export function lockedRemote(knowledge: ChartKnowledge | undefined, url: string): LockedRemote | undefined {
  return knowledge?.remote.find((r) => r.url === url);
}
