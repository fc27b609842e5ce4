import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { GitopsInputError } from "../read/errors";
import { isRecord, parseYamlDocuments } from "../read/yaml";
import { ChartArchiveError, ChartFiles, MAX_CHART_BYTES, readChartArchive } from "./archive";
import { ChartCache, sha256 } from "./cache";
import { chartFacts, ChartFacts, repruneDefaults } from "./extract";
import { LockedChart, LockedRemote } from "./lock";
import { resolveVersion } from "./semver";
import { ChartMirror, ChartRequest, describeRequest, mirrored } from "./sources";

/**
 * Fetching charts and remote inputs: Node's fetch with a timeout per request, retries with
 * exponential backoff on network errors, 429 and 5xx, at most `concurrency` requests at once,
 * bodies read up to a bound. HTTP Helm repositories: `index.yaml`, then the archive. OCI: the
 * distribution API (opencontainers/distribution-spec spec.md: tags list, manifest, blob) with the
 * bearer-token flow of the distribution token spec (docs/spec/auth/token.md in distribution/
 * distribution: a 401 names a realm, service and scope in `WWW-Authenticate`; the token endpoint
 * answers `token` or `access_token`), anonymously or with the credentials Helm itself would use
 * (helm/helm pkg/cli/environment.go: `$HELM_REGISTRY_CONFIG`, else
 * `$HELM_CONFIG_HOME|$XDG_CONFIG_HOME/helm|~/.config/helm` + `registry/config.json`, Docker's
 * config format). Credentials are only ever sent to the registry that asked; never printed,
 * never written.
 */

export class ChartFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChartFetchError";
  }
}

export interface FetchOptions {
  cache: ChartCache;
  offline?: boolean;
  mirrors?: readonly ChartMirror[];
  /** Requests in flight at once (default 6). */
  concurrency?: number;
  /** Per request, in ms (default 30 s). */
  timeoutMs?: number;
  /** Attempts per request (default 3). */
  attempts?: number;
  /** First backoff in ms, doubled each retry (default 250). */
  backoffMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Told of each fetch as it starts and ends (the CLI shows it on a terminal). */
  progress?: (event: { done: number; started: number; what: string }) => void;
}

/** An index.yaml larger than this is refused (the largest public indexes are tens of MiB). */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_REMOTE_BYTES = 32 * 1024 * 1024;
export const HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/** A bound on requests in flight. */
class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

interface Credentials {
  username: string;
  password: string;
}

/** Helm's registry credentials for a host (Docker config.json `auths`), or undefined. */
export function helmRegistryCredentials(host: string, env: NodeJS.ProcessEnv): Credentials | undefined {
  const configHome = env.HELM_CONFIG_HOME || (env.XDG_CONFIG_HOME ? path.join(env.XDG_CONFIG_HOME, "helm") : path.join(os.homedir(), ".config", "helm"));
  const file = env.HELM_REGISTRY_CONFIG || path.join(configHome, "registry", "config.json");
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  const auths = isRecord(data) && isRecord(data.auths) ? data.auths : {};
  for (const key of [host, `https://${host}`, `http://${host}`]) {
    const entry = auths[key];
    if (!isRecord(entry)) continue;
    if (typeof entry.auth === "string") {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (typeof entry.username === "string" && typeof entry.password === "string") return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/**
 * Helm's credentials for an HTTP(S) chart repository: the `repositories.yaml` entry whose `url` is
 * the repository's (helm/helm pkg/cli/environment.go: `$HELM_REPOSITORY_CONFIG`, else the config
 * home's `repositories.yaml`; pkg/downloader/chart_downloader.go scanReposForURL for a chart given
 * by repository URL). `passCredentialsAll` lets them go to an archive on another host, as Helm's
 * `pass_credentials_all`.
 */
export function helmRepositoryCredentials(repoUrl: string, env: NodeJS.ProcessEnv): (Credentials & { passCredentialsAll: boolean }) | undefined {
  const configHome = env.HELM_CONFIG_HOME || (env.XDG_CONFIG_HOME ? path.join(env.XDG_CONFIG_HOME, "helm") : path.join(os.homedir(), ".config", "helm"));
  const file = env.HELM_REPOSITORY_CONFIG || path.join(configHome, "repositories.yaml");
  let data: unknown;
  try {
    data = parse(fs.readFileSync(file, "utf8"), { maxAliasCount: 100 });
  } catch {
    return undefined;
  }
  const trim = (u: string) => u.replace(/\/+$/, "");
  const entries = isRecord(data) && Array.isArray(data.repositories) ? data.repositories.filter(isRecord) : [];
  const entry = entries.find((e) => typeof e.url === "string" && trim(e.url) === trim(repoUrl));
  if (entry === undefined || typeof entry.username !== "string" || entry.username === "" || typeof entry.password !== "string") return undefined;
  return { username: entry.username, password: entry.password, passCredentialsAll: entry.pass_credentials_all === true };
}

const basicAuth = (c: Credentials) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;

/** `Bearer realm="...",service="...",scope="..."` -> its parameters. */
function challenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (header === null) return undefined;
  const m = /^(\w+)\s+(.*)$/.exec(header.trim());
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)="([^"]*)"/g)) params[p[1].toLowerCase()] = p[2];
  return { scheme: m[1].toLowerCase(), params };
}

export class ChartFetcher {
  private readonly limiter: Limiter;
  private readonly indexes = new Map<string, Promise<Record<string, unknown>>>();
  private readonly tokens = new Map<string, string>();
  private readonly env: NodeJS.ProcessEnv;
  private started = 0;
  private done = 0;

  constructor(private readonly options: FetchOptions) {
    this.limiter = new Limiter(options.concurrency ?? 6);
    this.env = options.env ?? process.env;
  }

  /** The bytes at a URL, with retries, timeout and a size bound. */
  private async get(url: string, what: string, maxBytes: number, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: Headers; url: string }> {
    if (this.options.offline) throw new ChartFetchError(`${what}: offline, not fetched (${url})`);
    const attempts = this.options.attempts ?? 3;
    let lastError = "";
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, (this.options.backoffMs ?? 250) * 2 ** (attempt - 1)));
      try {
        const res = await this.limiter.run(async () => {
          this.started++;
          this.options.progress?.({ done: this.done, started: this.started, what });
          try {
            const response = await fetch(url, { headers, redirect: "follow", signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
            const body = await readBounded(response, maxBytes, what);
            return { status: response.status, body, headers: response.headers, url: response.url || url };
          } finally {
            this.done++;
            this.options.progress?.({ done: this.done, started: this.started, what });
          }
        });
        if (res.status === 429 || res.status >= 500) {
          lastError = `HTTP ${res.status}`;
          continue;
        }
        return res;
      } catch (err) {
        if (err instanceof ChartFetchError) throw err;
        lastError = describeNetworkError(err);
        // A redirect loop, or a host name that does not resolve, does not heal on retry.
        if (/redirect|ENOTFOUND/i.test(lastError)) break;
      }
    }
    throw new ChartFetchError(`${what}: ${url} could not be fetched (${lastError})`);
  }

  /** The chart a request names, fetched (or found in the cache) and read. */
  async resolve(request: ChartRequest): Promise<LockedChart> {
    return this.resolveAt(request, 0);
  }

  private async resolveAt(request: ChartRequest, depth: number): Promise<LockedChart> {
    if (request.protocol === "source") throw new ChartFetchError(`${describeRequest(request)}: a chart in a Flux source is read from the source, not fetched`);
    const key = `${request.repository}\u0000${request.chart}\u0000${request.version}\u0000${request.digest ?? ""}`;
    // Offline, a constraint resolved before is resolved the same way (exact versions and digests always).
    const known = this.options.cache.getRecord<{ version: string; digest: string }>("resolved", key);
    if (known !== undefined && this.options.offline) {
      const archive = this.options.cache.get(known.digest);
      if (archive !== undefined) return this.locked(request, known.version, known.digest, archive, depth);
    }
    const url = mirrored(request.repository, this.options.mirrors ?? []);
    const { version, archive } = request.protocol === "http"
      ? await this.fetchHttpChart(url, request)
      : await this.fetchOciChart(url, request);
    const digest = this.options.cache.put(archive);
    this.options.cache.putRecord("resolved", key, { version, digest });
    this.options.cache.putRecord("resolved", `${request.repository}\u0000${request.chart}\u0000=${version}`, { version, digest });
    return this.locked(request, version, digest, archive, depth);
  }

  private async locked(request: Extract<ChartRequest, { protocol: "http" | "oci" }>, version: string, digest: string, archive: Buffer, depth: number): Promise<LockedChart> {
    let facts = this.options.cache.getRecord<ChartFacts>("facts", `${EXTRACTOR}\u0000${digest}`);
    if (facts === undefined) {
      let files: ChartFiles;
      try {
        files = readChartArchive(archive);
        facts = chartFacts(files);
      } catch (err) {
        if (err instanceof ChartArchiveError || err instanceof GitopsInputError) {
          throw new ChartFetchError(`${request.chart} ${version} from ${request.repository} (${digest}): ${err.message}`);
        }
        throw err;
      }
      if (await this.fetchDependencies(facts, depth)) repruneDefaults(facts, files);
      this.options.cache.putRecord("facts", `${EXTRACTOR}\u0000${digest}`, facts);
    }
    return { repository: request.repository, chart: request.chart, version, digest, facts };
  }

  /**
   * Dependencies Chart.yaml lists but the archive does not vendor (a chart packaged without
   * `helm dependency build`, as Flux builds charts from Git): fetched from their repository as
   * source-controller's dependency manager does (internal/helm/chart/dependency_manager.go).
   * `file://` and `@alias` repositories cannot be fetched here: the problem is recorded.
   */
  private async fetchDependencies(facts: ChartFacts, depth: number): Promise<boolean> {
    let any = false;
    await Promise.all(facts.dependencies.map(async (dep) => {
      if (dep.chart !== undefined || dep.repository === undefined) return;
      const repository = dep.repository.replace(/\/+$/, "");
      if (!/^(https?|oci):\/\//.test(repository) || depth >= 4) {
        facts.problems.push(`dependency ${dep.name}: repository ${dep.repository || "(none)"} is not fetched here`);
        return;
      }
      try {
        const sub = await this.resolveAt({ protocol: repository.startsWith("oci://") ? "oci" : "http", repository, chart: dep.name, version: dep.version ?? "" }, depth + 1);
        dep.chart = sub.facts;
        dep.fetched = `${sub.version} (${sub.digest})`;
        any = true;
      } catch (err) {
        if (!(err instanceof ChartFetchError)) throw err;
        facts.problems.push(`dependency ${dep.name}: ${err.message}`);
      }
    }));
    return any;
  }

  private index(repoUrl: string): Promise<Record<string, unknown>> {
    let pending = this.indexes.get(repoUrl);
    if (pending === undefined) {
      pending = (async () => {
        const credentials = helmRepositoryCredentials(repoUrl, this.env);
        const res = await this.get(`${repoUrl}/index.yaml`, `index of ${repoUrl}`, MAX_INDEX_BYTES, credentials === undefined ? {} : { Authorization: basicAuth(credentials) });
        if (res.status !== 200) throw new ChartFetchError(`${repoUrl}/index.yaml: HTTP ${res.status}`);
        let data: unknown;
        try {
          // An alias bomb stops at the parser's alias bound, as every YAML this tool reads.
          data = parse(res.body.toString("utf8"), { maxAliasCount: 100, uniqueKeys: false });
        } catch (err) {
          throw new ChartFetchError(`${repoUrl}/index.yaml is not a Helm repository index (${(err as Error).message.split("\n")[0]})`);
        }
        if (!isRecord(data) || !isRecord(data.entries)) throw new ChartFetchError(`${repoUrl}/index.yaml is not a Helm repository index (no entries)`);
        return data.entries;
      })();
      this.indexes.set(repoUrl, pending);
    }
    return pending;
  }

  private async fetchHttpChart(repoUrl: string, request: Extract<ChartRequest, { protocol: "http" | "oci" }>): Promise<{ version: string; archive: Buffer }> {
    const entries = await this.index(repoUrl);
    const list = Array.isArray(entries[request.chart]) ? (entries[request.chart] as unknown[]).filter(isRecord) : [];
    if (list.length === 0) throw new ChartFetchError(`chart ${request.chart} is not in ${repoUrl}/index.yaml`);
    const chosen = resolveVersion(list.map((e) => String(e.version ?? "")), request.version);
    if ("error" in chosen) throw new ChartFetchError(`${request.chart} from ${request.repository}: ${chosen.error}`);
    const entry = list.find((e) => String(e.version) === chosen.version)!;
    const urls = Array.isArray(entry.urls) ? entry.urls.filter((u): u is string => typeof u === "string") : [];
    if (urls.length === 0) throw new ChartFetchError(`${request.chart} ${chosen.version} in ${repoUrl}/index.yaml has no download URL`);
    // A relative URL is relative to the repository (helm/helm pkg/repo/chartrepo.go ResolveReferenceURL).
    const archiveUrl = new URL(urls[0], `${repoUrl}/`).toString();
    // A version fetched before is not fetched again: by the index's digest, or by what it resolved to last time.
    const indexDigest = typeof entry.digest === "string" && /^[a-f0-9]{64}$/.test(entry.digest) ? `sha256:${entry.digest}` : undefined;
    const seen = this.options.cache.getRecord<{ digest: string }>("resolved", `${request.repository}\u0000${request.chart}\u0000=${chosen.version}`);
    const cached = this.options.cache.get(indexDigest ?? seen?.digest ?? "");
    if (cached !== undefined) return { version: chosen.version, archive: cached };
    // Credentials go to the repository's own host only, unless pass_credentials_all (helm's chartrepo.go).
    const credentials = helmRepositoryCredentials(repoUrl, this.env);
    const sameHost = new URL(archiveUrl).host === new URL(repoUrl).host;
    const auth: Record<string, string> = credentials !== undefined && (sameHost || credentials.passCredentialsAll) ? { Authorization: basicAuth(credentials) } : {};
    const res = await this.get(archiveUrl, `${request.chart} ${chosen.version}`, MAX_CHART_BYTES, auth);
    if (res.status !== 200) throw new ChartFetchError(`${request.chart} ${chosen.version}: ${archiveUrl}: HTTP ${res.status}`);
    if (typeof entry.digest === "string" && /^[a-f0-9]{64}$/.test(entry.digest) && sha256(res.body) !== `sha256:${entry.digest}`) {
      throw new ChartFetchError(`${request.chart} ${chosen.version}: ${archiveUrl} does not match the digest in index.yaml`);
    }
    return { version: chosen.version, archive: res.body };
  }

  /** A GET to a registry, answering its bearer or basic challenge once. */
  private async registryGet(host: string, scheme: string, pathAndQuery: string, what: string, maxBytes: number, accept?: string) {
    const url = `${scheme}://${host}${pathAndQuery}`;
    const headers: Record<string, string> = accept === undefined ? {} : { Accept: accept };
    const token = this.tokens.get(host);
    if (token !== undefined) headers.Authorization = token;
    let res = await this.get(url, what, maxBytes, headers);
    if (res.status === 401) {
      const c = challenge(res.headers.get("www-authenticate"));
      const creds = helmRegistryCredentials(host, this.env);
      const basic = creds === undefined ? undefined : `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
      let auth: string | undefined;
      if (c?.scheme === "bearer" && c.params.realm !== undefined) {
        const realm = new URL(c.params.realm);
        if (c.params.service !== undefined) realm.searchParams.set("service", c.params.service);
        if (c.params.scope !== undefined) realm.searchParams.set("scope", c.params.scope);
        const tokenRes = await this.get(realm.toString(), `token for ${host}`, 1024 * 1024, basic === undefined ? {} : { Authorization: basic });
        if (tokenRes.status !== 200) throw new ChartFetchError(`${what}: the registry's token service answered HTTP ${tokenRes.status}${creds === undefined ? " (no Helm registry credentials for this host)" : ""}`);
        let body: unknown;
        try {
          body = JSON.parse(tokenRes.body.toString("utf8"));
        } catch {
          body = undefined;
        }
        const t = isRecord(body) ? body.token ?? body.access_token : undefined;
        if (typeof t !== "string") throw new ChartFetchError(`${what}: the registry's token service gave no token`);
        auth = `Bearer ${t}`;
      } else if (c?.scheme === "basic" && basic !== undefined) {
        auth = basic;
      }
      if (auth === undefined) throw new ChartFetchError(`${what}: ${url} needs credentials${creds === undefined ? " (none in Helm's registry config)" : ""}`);
      this.tokens.set(host, auth);
      res = await this.get(url, what, maxBytes, { ...headers, Authorization: auth });
    }
    return res;
  }

  private async fetchOciChart(repoUrl: string, request: Extract<ChartRequest, { protocol: "http" | "oci" }>): Promise<{ version: string; archive: Buffer }> {
    const ref = ociReference(`${repoUrl}/${request.chart}`);
    const what = `${request.chart} from ${request.repository}`;
    let version = request.version;
    let reference: string;
    if (request.digest !== undefined) {
      reference = request.digest;
    } else if (request.exactTag === true || /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) {
      // A plain version is a tag (oci_chart_repository.go takes this shortcut); Helm writes `+` as `_`.
      reference = version.replace(/\+/g, "_");
    } else {
      const res = await this.registryGet(ref.host, ref.scheme, `/v2/${ref.name}/tags/list?n=10000`, `tags of ${what}`, MAX_MANIFEST_BYTES);
      if (res.status !== 200) throw new ChartFetchError(`${what}: listing tags: HTTP ${res.status}`);
      let tags: unknown;
      try {
        tags = JSON.parse(res.body.toString("utf8")).tags;
      } catch {
        tags = undefined;
      }
      if (!Array.isArray(tags)) throw new ChartFetchError(`${what}: the registry's tag list is not JSON with tags`);
      const chosen = resolveVersion(tags.filter((t): t is string => typeof t === "string").map((t) => t.replace(/_/g, "+")), version);
      if ("error" in chosen) throw new ChartFetchError(`${what}: ${chosen.error}`);
      version = chosen.version;
      reference = version.replace(/\+/g, "_");
    }
    const manifestRes = await this.registryGet(ref.host, ref.scheme, `/v2/${ref.name}/manifests/${reference}`, `manifest of ${what}`, MAX_MANIFEST_BYTES, MANIFEST_TYPES);
    if (manifestRes.status !== 200) throw new ChartFetchError(`${what}: manifest ${reference}: HTTP ${manifestRes.status}`);
    let manifest: unknown;
    try {
      manifest = JSON.parse(manifestRes.body.toString("utf8"));
    } catch {
      throw new ChartFetchError(`${what}: manifest ${reference} is not JSON`);
    }
    const layers = isRecord(manifest) && Array.isArray(manifest.layers) ? manifest.layers.filter(isRecord) : [];
    const layer = layers.find((l) => l.mediaType === HELM_CHART_LAYER);
    if (layer === undefined || typeof layer.digest !== "string" || !/^sha256:[a-f0-9]{64}$/.test(layer.digest)) {
      throw new ChartFetchError(`${what}: manifest ${reference} has no Helm chart layer (${HELM_CHART_LAYER})`);
    }
    const cached = this.options.cache.get(layer.digest);
    if (cached !== undefined) return { version: version === "" || request.digest !== undefined ? reference : version, archive: cached };
    const blob = await this.registryGet(ref.host, ref.scheme, `/v2/${ref.name}/blobs/${layer.digest}`, what, MAX_CHART_BYTES);
    if (blob.status !== 200) throw new ChartFetchError(`${what}: blob ${layer.digest}: HTTP ${blob.status}`);
    if (sha256(blob.body) !== layer.digest) throw new ChartFetchError(`${what}: blob does not match its digest ${layer.digest}`);
    return { version: request.digest !== undefined ? (version || reference) : version, archive: blob.body };
  }

  /**
   * A remote input by URL (an https:// kustomize resource, a bootstrap manifest given by URL):
   * fetched once (mirrors apply), cached by digest, and read for the CRD groups it defines. This
   * is the one lookup other readers call (kustomize remote resources, Talos extraManifests).
   */
  async remote(url: string): Promise<LockedRemote> {
    const known = this.options.cache.getRecord<LockedRemote>("remote", url);
    if (known !== undefined && this.options.cache.get(known.digest) !== undefined) return known;
    const target = mirrored(url, this.options.mirrors ?? []);
    const res = await this.get(target, url, MAX_REMOTE_BYTES);
    if (res.status !== 200) throw new ChartFetchError(`${url}: HTTP ${res.status}`);
    const digest = this.options.cache.put(res.body);
    const locked: LockedRemote = { url, digest, groups: crdGroupsOfManifest(res.body.toString("utf8"), url) };
    this.options.cache.putRecord("remote", url, locked);
    return locked;
  }
}

/** The facts cache is keyed by this too, so a better extractor re-reads cached archives. */
export const EXTRACTOR = "extract-2";

/** The CRD groups a manifest stream defines. A stream that is not YAML is an error naming the URL. */
export function crdGroupsOfManifest(text: string, where: string): string[] {
  let docs: { data: unknown }[];
  try {
    docs = parseYamlDocuments(text, where);
  } catch (err) {
    throw new ChartFetchError(`${where}: not a YAML manifest (${(err as Error).message})`);
  }
  const groups = new Set<string>();
  for (const { data } of docs) {
    const items = isRecord(data) && data.kind === "List" && Array.isArray(data.items) ? data.items : [data];
    for (const o of items) if (isRecord(o) && o.kind === "CustomResourceDefinition" && isRecord(o.spec) && typeof o.spec.group === "string") groups.add(o.spec.group);
  }
  return [...groups].sort();
}

/** oci://host[:port]/a/b -> host, repository name; loopback registries speak plain HTTP (as `helm --plain-http`). */
export function ociReference(url: string): { host: string; name: string; scheme: "http" | "https" } {
  const rest = url.replace(/^oci:\/\//, "");
  const slash = rest.indexOf("/");
  const host = slash < 0 ? rest : rest.slice(0, slash);
  const name = slash < 0 ? "" : rest.slice(slash + 1);
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
  return { host, name, scheme: loopback ? "http" : "https" };
}

async function readBounded(response: Response, maxBytes: number, what: string): Promise<Buffer> {
  const length = Number(response.headers.get("content-length") ?? "0");
  if (length > maxBytes) {
    await response.body?.cancel();
    throw new ChartFetchError(`${what}: ${response.url} is ${length} bytes, more than the ${maxBytes} allowed`);
  }
  if (response.body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new ChartFetchError(`${what}: ${response.url} is more than the ${maxBytes} bytes allowed`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function describeNetworkError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return "timed out";
  const cause = e.cause?.code ?? e.cause?.message;
  return cause === undefined ? e.message : `${e.message}: ${cause}`;
}
