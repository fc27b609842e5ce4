/**
 * The last line of defence against hostile input: a time and size budget for one run of the
 * library (a `verify`, an `inject`). The walks, the YAML parser and the graph are each bounded
 * on their own (cycle detection, alias and depth caps, linear algorithms); this catches what
 * those miss, with a clear message (exit 2 in the CLI) instead of a hang or an out-of-memory kill.
 *
 * The budget is cooperative: `Repo` charges every file it reads and every listing, and the YAML
 * parser every document, so a run that keeps doing work keeps checking the clock.
 * Limits come from the environment so a CI job with a huge repository can raise them.
 */
import { GitopsInputError } from "./errors";

/** Default limits; GITOPS_CLUSTER_TIME_BUDGET (seconds) and GITOPS_CLUSTER_SIZE_BUDGET (MiB) override the first two. */
export const DEFAULT_TIME_BUDGET_SECONDS = 600;
export const DEFAULT_SIZE_BUDGET_MIB = 1024;
/** One file larger than this is not a manifest anyone wrote by hand (the largest CRDs are a few MiB). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Files and directories one run may read. */
export const MAX_ENTRIES = 1_000_000;

function fromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export class Budget {
  private readonly deadline: number;
  private bytes = 0;
  private entries = 0;
  readonly timeSeconds: number;
  readonly sizeBytes: number;

  constructor(timeSeconds = fromEnv("GITOPS_CLUSTER_TIME_BUDGET", DEFAULT_TIME_BUDGET_SECONDS), sizeMiB = fromEnv("GITOPS_CLUSTER_SIZE_BUDGET", DEFAULT_SIZE_BUDGET_MIB)) {
    this.timeSeconds = timeSeconds;
    this.sizeBytes = sizeMiB * 1024 * 1024;
    this.deadline = Date.now() + timeSeconds * 1000;
  }

  /** Throws once the run is past its time. */
  checkTime(): void {
    if (Date.now() > this.deadline) {
      throw new GitopsInputError(
        `gave up after ${this.timeSeconds} s: the repository takes longer to read than the time budget ` +
          "(set GITOPS_CLUSTER_TIME_BUDGET=<seconds> to allow more)",
      );
    }
  }

  /** Charges a file of `size` bytes read as `file`. */
  chargeFile(file: string, size: number): void {
    if (size > MAX_FILE_BYTES) {
      throw new GitopsInputError(`file is ${size} bytes; the largest file read is ${MAX_FILE_BYTES} bytes`, file);
    }
    this.bytes += size;
    if (this.bytes > this.sizeBytes) {
      throw new GitopsInputError(
        `reading it passes the size budget of ${this.sizeBytes / 1024 / 1024} MiB for one run ` +
          "(set GITOPS_CLUSTER_SIZE_BUDGET=<MiB> to allow more)",
        file,
      );
    }
    this.chargeEntry(file);
  }

  /** Charges one directory listing or file. */
  chargeEntry(where: string): void {
    if (++this.entries > MAX_ENTRIES) {
      throw new GitopsInputError(`more than ${MAX_ENTRIES} files and directories read in one run`, where);
    }
    if ((this.entries & 63) === 0) this.checkTime();
  }
}
