/**
 * A `.sourceignore` checked before the resolver compiles it: each pattern becomes a regular
 * expression in the `ignore` package, and a pattern that cannot compile (or a line of 100,000
 * characters) would otherwise surface as a SyntaxError quoting the whole expression. Here it is
 * a GitopsInputError naming file:line. Flux reads the file with go-git's gitignore syntax
 * (https://github.com/fluxcd/pkg/blob/main/sourceignore/sourceignore.go); a pattern longer than
 * MAX_PATTERN_LENGTH names no path a checkout can hold (PATH_MAX).
 */
import ignore from "ignore";
import { GitopsInputError } from "./errors";

/** Linux PATH_MAX, as Repo's MAX_PATH_LENGTH (not imported: repo.ts imports this file). */
export const MAX_PATTERN_LENGTH = 4096;

export function checkSourceIgnore(text: string, file: string): void {
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (line.length > MAX_PATTERN_LENGTH) {
      throw new GitopsInputError(`pattern is ${line.length} characters long; the longest is ${MAX_PATTERN_LENGTH}`, file, i + 1);
    }
    try {
      ignore().add(line).ignores("a");
    } catch {
      // The error message quotes the whole generated expression: not useful to print.
      throw new GitopsInputError("pattern cannot be compiled into a regular expression; check its brackets and escapes", file, i + 1);
    }
  });
}
