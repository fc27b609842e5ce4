import * as zlib from "zlib";
import { Parser, ReadEntry } from "tar";

/**
 * A chart's files, read in memory from its archive: nothing is ever written to disk, so a path
 * like `../../etc/x` or a symlink in an archive cannot reach outside anything. Limits follow
 * Helm's loader (helm/helm v4 pkg/chart/loader/archive: MaxDecompressedChartSize 100 MiB,
 * MaxDecompressedFileSize 5 MiB); the file count bound keeps a chart of tiny files from costing
 * unbounded time.
 */
export const MAX_CHART_BYTES = 100 * 1024 * 1024;
export const MAX_CHART_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_CHART_FILES = 5000;

/** Files of one chart, keyed by their path under the chart's top directory ("Chart.yaml", "crds/a.yaml"). */
export type ChartFiles = Map<string, Buffer>;

export class ChartArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChartArchiveError";
  }
}

/** The files this analysis reads; others are counted but not kept. */
function wanted(rel: string): boolean {
  return rel === "Chart.yaml" || rel === "values.yaml" || rel === "requirements.yaml"
    || rel.startsWith("crds/") || rel.startsWith("templates/") || rel.startsWith("charts/");
}

/**
 * The files of a gzipped chart archive (`helm package` output, or an OCI chart layer): every
 * regular file under the one top directory Helm requires. Symlinks, devices and absolute or `..`
 * paths are skipped (Helm's loader refuses them too). Throws ChartArchiveError for what is not a
 * chart archive or exceeds the limits.
 */
export function readChartArchive(gz: Buffer): ChartFiles {
  let tar: Buffer;
  try {
    tar = zlib.gunzipSync(gz, { maxOutputLength: MAX_CHART_BYTES });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError) {
      throw new ChartArchiveError(`archive expands past ${MAX_CHART_BYTES / 1024 / 1024} MiB (Helm's limit for a chart)`);
    }
    throw new ChartArchiveError(`not a gzip archive (${(err as Error).message})`);
  }
  const files: ChartFiles = new Map();
  let count = 0;
  let problem: string | undefined;
  let top: string | undefined;
  const parser = new Parser({
    strict: true,
    onReadEntry(entry: ReadEntry) {
      if (problem !== undefined) return entry.resume();
      count++;
      if (count > MAX_CHART_FILES) {
        problem = `more than ${MAX_CHART_FILES} entries`;
        return entry.resume();
      }
      const name = entry.path.replace(/\\/g, "/");
      const parts = name.split("/").filter((p) => p !== "" && p !== ".");
      if (entry.type !== "File" && entry.type !== "OldFile" && entry.type !== "ContiguousFile") return entry.resume();
      if (name.startsWith("/") || parts.includes("..") || parts.length < 2) return entry.resume();
      // Helm takes the first path segment as the chart's directory, whatever it is called.
      top ??= parts[0];
      if (parts[0] !== top) return entry.resume();
      const rel = parts.slice(1).join("/");
      if (!wanted(rel)) return entry.resume();
      if (entry.size > MAX_CHART_FILE_BYTES) {
        problem = `${rel} is larger than ${MAX_CHART_FILE_BYTES / 1024 / 1024} MiB (Helm's limit for a chart file)`;
        return entry.resume();
      }
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () => {
        if (!files.has(rel)) files.set(rel, Buffer.concat(chunks));
      });
    },
  });
  parser.on("warn", (code: string, message: string | Error) => {
    problem ??= `${code}: ${typeof message === "string" ? message : message.message}`;
  });
  parser.on("error", (err: Error) => {
    problem ??= err.message;
  });
  try {
    parser.end(tar);
  } catch (err) {
    problem ??= (err as Error).message;
  }
  if (problem !== undefined) throw new ChartArchiveError(`not a readable chart archive: ${problem}`);
  if (!files.has("Chart.yaml")) throw new ChartArchiveError("no Chart.yaml under the archive's top directory");
  return files;
}

/** The files of a chart directory nested in another chart's files (`charts/<name>/...`). */
export function subdirectoryFiles(files: ChartFiles, prefix: string): ChartFiles {
  const out: ChartFiles = new Map();
  for (const [rel, data] of files) if (rel.startsWith(prefix)) out.set(rel.slice(prefix.length), data);
  return out;
}
