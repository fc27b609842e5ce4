import * as fs from "fs";
import * as path from "path";
import { copyOperationsOf, materialiseArtifact } from "./artifact-generator";
import { K8sObject, SourceMapping } from "../model";
import { Repo } from "./repo";
import { isRecord } from "./yaml";

/**
 * Which Flux source a Kustomization reads, and where that is on this machine. A source is this
 * repository when its URL equals the bootstrap URL (normalised: scp and ssh:// forms, `.git`, host
 * case) or when the committed root syncs from it (a `flux bootstrap` gotk-sync.yaml, a FluxInstance
 * `spec.sync`), whatever it is called. `--source KIND/NAMESPACE/NAME=DIR` maps any other source to a
 * directory. An ExternalArtifact is read by replaying its ArtifactGenerator on the readable sources.
 */

/** A readable source: the Repo holding its artifact, and the GitRepository `spec.ignore` to apply. */
export interface SourceView {
  repo: Repo;
  ignore?: string;
  /** How the source was found to be readable, for the report ("this repository (URL ...)"). */
  how: string;
  /** Where a file of this view is in the checkout, so findings point at the file to edit. */
  origin?: (file: string) => string;
}

export type SourceVerdict =
  | { kind: "read"; view: SourceView; notes: string[] }
  | { kind: "unread"; why: string };

/** The identity of a Git URL: host (lowercase) and path, without scheme, user, port or `.git`. */
export function normaliseGitUrl(url: string): string {
  let u = url.trim();
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.*)$/.exec(u);
  let host: string;
  let rest: string;
  if (scp !== null && !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) {
    host = scp[1];
    rest = scp[2];
  } else {
    u = u.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
    const slash = u.indexOf("/");
    host = slash < 0 ? u : u.slice(0, slash);
    rest = slash < 0 ? "" : u.slice(slash + 1);
    host = host.replace(/^[^@]*@/, "").replace(/:\d+$/, "");
  }
  rest = rest.replace(/\/+$/, "").replace(/\.git$/, "").replace(/^\/+/, "");
  return `${host.toLowerCase()}/${rest}`;
}

/** The `origin` URL of the Git checkout holding `dir`, read from .git/config (no git binary needed). */
export function originUrlOf(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const dotGit = path.join(d, ".git");
    if (fs.existsSync(dotGit)) {
      let gitDir = dotGit;
      if (fs.statSync(dotGit).isFile()) {
        const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotGit, "utf8"));
        if (m === null) return undefined;
        gitDir = path.resolve(d, m[1].trim());
        const common = path.join(gitDir, "commondir");
        if (fs.existsSync(common)) gitDir = path.resolve(gitDir, fs.readFileSync(common, "utf8").trim());
      }
      const config = path.join(gitDir, "config");
      if (!fs.existsSync(config)) return undefined;
      const text = fs.readFileSync(config, "utf8");
      const m = /\[remote "origin"\][^[]*?\burl\s*=\s*(\S+)/.exec(text);
      return m?.[1];
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/** The branch the checkout holding `dir` is on, from .git/HEAD; undefined when detached or unknown. */
export function checkoutBranchOf(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const dotGit = path.join(d, ".git");
    if (fs.existsSync(dotGit)) {
      let head = path.join(dotGit, "HEAD");
      if (fs.statSync(dotGit).isFile()) {
        const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotGit, "utf8"));
        if (m === null) return undefined;
        head = path.join(path.resolve(d, m[1].trim()), "HEAD");
      }
      if (!fs.existsSync(head)) return undefined;
      const m = /^ref:\s*refs\/heads\/(.+)$/m.exec(fs.readFileSync(head, "utf8"));
      return m?.[1].trim();
    }
    if (path.dirname(d) === d) return undefined;
  }
}

const SOURCE_KINDS = new Set(["GitRepository", "OCIRepository", "Bucket", "ExternalArtifact", "HelmChart"]);

/**
 * `KIND/NAMESPACE/NAME=DIR` (flux-local's --sources form), for `--source` and the stack setting
 * `gitops.sources` alike; a relative DIR is relative to the GitOps repository. Returns the problem
 * as a string when the text is not one.
 */
export function parseSourceMapping(text: string): SourceMapping | string {
  const m = /^([A-Za-z]+)\/([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\/([a-z0-9](?:[-.a-z0-9]*[a-z0-9])?)=(.+)$/.exec(text);
  if (m === null) return `"${text}" is not KIND/NAMESPACE/NAME=DIR (e.g. OCIRepository/flux-system/apps=../apps-artifact)`;
  if (!SOURCE_KINDS.has(m[1])) return `"${m[1]}" is not a Flux source kind (expected one of ${[...SOURCE_KINDS].join(", ")})`;
  return { source: `${m[1]}/${m[2]}/${m[3]}`, dir: m[4] };
}

/** "Kind/namespace/name". */
export function sourceId(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function specOf(o: K8sObject): Record<string, unknown> {
  return isRecord(o.body.spec) ? o.body.spec : {};
}

export interface SourceResolverOptions {
  /** The bootstrap URL: stack `flux.repoUrl`, `--repo-url`, or the checkout's origin. */
  repoUrl?: string;
  sources?: SourceMapping[];
  /** Sources the committed root syncs from ("Kind/namespace/name"): this repository. */
  rootSources: string[];
  /** The branch of the checkout, to say when a self source follows another ref. */
  checkoutBranch?: string;
}

/**
 * Resolves sourceRefs as the graph meets the source objects. Sources are registered as the
 * Kustomizations that define them are read, so a lookup may be asked again later (undefined until
 * then). Temporary directories of materialised artifacts are removed by `dispose`.
 */
export class SourceResolver {
  private readonly objects = new Map<string, K8sObject>();
  private readonly generators: K8sObject[] = [];
  private readonly selfUrls = new Set<string>();
  private readonly selfIds: Set<string>;
  private readonly mapped = new Map<string, Repo>();
  private readonly cache = new Map<string, SourceVerdict>();
  private readonly tempDirs: string[] = [];
  /** The branch the root syncs (its GitRepository's ref.branch), which the checkout stands for. */
  private rootBranch: string | undefined;

  constructor(private readonly self: Repo, private readonly options: SourceResolverOptions) {
    if (options.repoUrl !== undefined && options.repoUrl !== "") this.selfUrls.add(normaliseGitUrl(options.repoUrl));
    this.selfIds = new Set(options.rootSources);
    for (const m of options.sources ?? []) {
      this.mapped.set(m.source, new Repo(path.isAbsolute(m.dir) ? m.dir : path.join(self.root, m.dir)));
    }
  }

  /** The sources (and ArtifactGenerators) among objects a Kustomization applies. */
  register(objects: K8sObject[], defaultNamespace: string): void {
    for (const o of objects) {
      const ns = o.namespace ?? defaultNamespace;
      if (o.kind === "ArtifactGenerator" && o.group === "source.extensions.fluxcd.io") {
        this.generators.push(o.namespace === undefined ? { ...o, namespace: ns } : o);
      } else if (SOURCE_KINDS.has(o.kind) && o.group.startsWith("source.")) {
        const id = sourceId(o.kind, ns, o.name);
        if (!this.objects.has(id)) this.objects.set(id, o);
      }
    }
  }

  /** Another root source (e.g. the GitRepository of a committed gotk-sync.yaml): its URL is this repository's too. */
  addSelfSource(id: string, object?: K8sObject): void {
    this.selfIds.add(id);
    const ref = object === undefined ? undefined : specOf(object).ref;
    if (this.rootBranch === undefined && isRecord(ref) && typeof ref.branch === "string") this.rootBranch = ref.branch;
    const url = object === undefined ? undefined : specOf(object).url;
    if (typeof url === "string" && object?.kind === "GitRepository") this.selfUrls.add(normaliseGitUrl(url));
  }

  /** What `id` reads; undefined when nothing registered so far tells (ask again after more is read). */
  resolve(id: string): SourceVerdict | undefined {
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const verdict = this.compute(id, new Set());
    if (verdict !== undefined) this.cache.set(id, verdict);
    return verdict;
  }

  /** The final answer for a source still unknown once the whole graph is read. */
  unknown(id: string): SourceVerdict {
    const kind = id.slice(0, id.indexOf("/"));
    return {
      kind: "unread",
      why: `no ${kind} ${id.slice(kind.length + 1)} is defined in what this check reads; map it with --source ${id}=DIR`,
    };
  }

  private compute(id: string, visiting: Set<string>): SourceVerdict | undefined {
    const mapped = this.mapped.get(id);
    if (mapped !== undefined) {
      return { kind: "read", view: { repo: mapped, how: `mapped to ${mapped.root}`, origin: (file) => path.join(mapped.root, file) }, notes: [] };
    }
    if (visiting.has(id)) return { kind: "unread", why: `${id} is generated from itself` };
    const kind = id.slice(0, id.indexOf("/"));
    const object = this.objects.get(id);
    if (this.selfIds.has(id)) {
      const notes = object === undefined ? [] : this.gitNotes(id, object);
      const ignore = object !== undefined && typeof specOf(object).ignore === "string" ? specOf(object).ignore as string : undefined;
      return { kind: "read", view: { repo: this.self, ignore, how: "this repository (the source the root syncs from)" }, notes };
    }
    if (kind === "GitRepository" && object !== undefined) {
      const spec = specOf(object);
      const url = typeof spec.url === "string" ? spec.url : "";
      if (url !== "" && this.selfUrls.has(normaliseGitUrl(url))) {
        const branch = isRecord(spec.ref) && typeof spec.ref.branch === "string" ? spec.ref.branch : undefined;
        const checkout = this.rootBranch ?? this.options.checkoutBranch;
        if (branch !== undefined && checkout !== undefined && branch !== checkout) {
          // Another branch of this repository (a tenant's branch): its files are not in the checkout.
          return { kind: "unread", why: `${id} clones this repository's branch ${branch}, and the checkout stands for ${checkout}; map a checkout of ${branch} with --source ${id}=DIR` };
        }
        const ignore = typeof spec.ignore === "string" ? spec.ignore : undefined;
        return { kind: "read", view: { repo: this.self, ignore, how: `this repository (${url})` }, notes: this.gitNotes(id, object) };
      }
      return { kind: "unread", why: `${id} clones ${url || "an unknown URL"}, not this repository; map it with --source ${id}=DIR` };
    }
    if (kind === "ExternalArtifact") return this.externalArtifact(id, visiting);
    if (object !== undefined) {
      const url = typeof specOf(object).url === "string" ? ` (${specOf(object).url as string})` : "";
      return { kind: "unread", why: `${id}${url} cannot be read offline; map it with --source ${id}=DIR` };
    }
    return undefined;
  }

  /** Where a self GitRepository's ref or include means the checkout is not exactly what it reads. */
  private gitNotes(id: string, object: K8sObject): string[] {
    const spec = specOf(object);
    const notes: string[] = [];
    const ref = isRecord(spec.ref) ? spec.ref : {};
    const other = ["tag", "semver", "commit", "name"].find((k) => typeof ref[k] === "string");
    if (other !== undefined) {
      notes.push(`${id} follows ${other} ${ref[other] as string}; the checkout is read as it is, which may differ from that ref`);
    }
    if (Array.isArray(spec.include) && spec.include.length > 0) {
      notes.push(`${id} includes other GitRepositories (spec.include); their files are not added to what is read`);
    }
    return notes;
  }

  private externalArtifact(id: string, visiting: Set<string>): SourceVerdict | undefined {
    const [, namespace, name] = id.split("/");
    for (const g of this.generators) {
      if ((g.namespace ?? "default") !== namespace) continue;
      const spec = specOf(g);
      const artifact = (Array.isArray(spec.artifacts) ? spec.artifacts : []).find((a) => isRecord(a) && a.name === name);
      if (!isRecord(artifact)) continue;
      const where = `${g.source.file}:${g.source.line}`;
      if (typeof spec.pathPattern === "string") {
        return { kind: "unread", why: `ExternalArtifact ${name} comes from ArtifactGenerator ${g.name} (${where}) with a pathPattern, not replayed offline` };
      }
      const aliases = new Map<string, Repo>();
      const notes: string[] = [];
      const inner = new Set(visiting).add(id);
      for (const s of Array.isArray(spec.sources) ? spec.sources : []) {
        if (!isRecord(s) || typeof s.alias !== "string" || typeof s.name !== "string" || typeof s.kind !== "string") continue;
        const sid = sourceId(s.kind, typeof s.namespace === "string" && s.namespace !== "" ? s.namespace : namespace, s.name);
        const v = this.compute(sid, inner);
        if (v === undefined) return undefined; // not known yet: ask again later
        if (v.kind === "unread") {
          return { kind: "unread", why: `ExternalArtifact ${name} is generated (${where}) from ${sid}, which is unread: ${v.why}` };
        }
        if (v.view.ignore !== undefined) notes.push(`${sid}'s spec.ignore is not applied to the copies of ArtifactGenerator ${g.name}`);
        aliases.set(s.alias, v.view.repo);
        notes.push(...v.notes);
      }
      const { dir, problems, origins } = materialiseArtifact(copyOperationsOf(artifact), aliases);
      this.tempDirs.push(dir);
      notes.push(...problems.map((p) => `ArtifactGenerator ${g.name} (${where}): ${p}`));
      const origin = (file: string): string => {
        const o = origins.get(file);
        if (o === undefined) return `(artifact ${name}) ${file}`;
        return o.repo === this.self ? o.file : path.join(o.repo.root, o.file);
      };
      return { kind: "read", view: { repo: new Repo(dir), how: `ArtifactGenerator ${g.name} (${where}) replayed on the checkout`, origin }, notes };
    }
    return undefined;
  }

  /** Removes the materialised artifacts. */
  dispose(): void {
    for (const d of this.tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  }
}
