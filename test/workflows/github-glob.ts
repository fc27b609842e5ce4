/**
 * GitHub Actions filter patterns (branches, tags, paths), for the characters they define:
 * `*` any run of characters but `/`, `**` any run, `?` zero or one of the preceding character,
 * `+` one or more of the preceding character, `[0-9a-z]` one character of a set or range;
 * everything else, `.` included, is literal, and the pattern must match the whole name.
 * https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#filter-pattern-cheat-sheet
 */
export function githubFilterToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (ch === "*") {
      source += "[^/]*";
    } else if (ch === "+" || ch === "?") {
      if (source === "") throw new Error(`filter pattern "${pattern}" starts with "${ch}", which needs a preceding character`);
      source += ch;
    } else if (ch === "[") {
      const close = pattern.indexOf("]", i + 1);
      if (close < 0) throw new Error(`filter pattern "${pattern}" has an unclosed "["`);
      source += `[${pattern.slice(i + 1, close).replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else {
      source += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

export function matchesGithubFilter(pattern: string, name: string): boolean {
  return githubFilterToRegExp(pattern).test(name);
}
