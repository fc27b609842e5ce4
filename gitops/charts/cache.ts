import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * The content-addressed cache of fetched charts and remote inputs:
 * `$XDG_CACHE_HOME/gitops-cluster/charts` (else `~/.cache/...`), one file per sha256 digest, so a
 * chart version is fetched once whatever repository or mirror served it. Writes go through a
 * temporary file renamed into place: a reader never sees half a blob, and nothing is written
 * outside the cache directory.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== "" ? env.XDG_CACHE_HOME : path.join(os.homedir(), ".cache");
  return path.join(base, "gitops-cluster", "charts");
}

export function sha256(data: Buffer | string): string {
  return `sha256:${crypto.createHash("sha256").update(data).digest("hex")}`;
}

const DIGEST = /^sha256:([a-f0-9]{64})$/;

export class ChartCache {
  constructor(readonly dir: string) {}

  private blobPath(digest: string): string | undefined {
    const m = DIGEST.exec(digest);
    return m === null ? undefined : path.join(this.dir, "sha256", m[1]);
  }

  /** The bytes of a digest, checked against it; undefined when absent or corrupt. */
  get(digest: string): Buffer | undefined {
    const file = this.blobPath(digest);
    if (file === undefined) return undefined;
    try {
      const data = fs.readFileSync(file);
      return sha256(data) === digest ? data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores bytes under their digest; returns it. */
  put(data: Buffer): string {
    const digest = sha256(data);
    const file = this.blobPath(digest)!;
    if (fs.existsSync(file)) return digest;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
    return digest;
  }

  /** A small JSON record under a name (the digest a repository/chart/version resolved to, extracted facts). */
  getRecord<T>(kind: string, key: string): T | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.recordPath(kind, key), "utf8")) as T;
    } catch {
      return undefined;
    }
  }

  putRecord(kind: string, key: string, value: unknown): void {
    const file = this.recordPath(kind, key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(value));
    fs.renameSync(tmp, file);
  }

  private recordPath(kind: string, key: string): string {
    const safeKind = kind.replace(/[^a-z-]/g, "");
    return path.join(this.dir, safeKind, `${crypto.createHash("sha256").update(key).digest("hex")}.json`);
  }
}
