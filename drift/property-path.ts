/**
 * Property paths as the engine writes them in `detailedDiff` keys (resource.PropertyPath):
 * dotted names, `[0]` indexes and `["quoted.keys"]` for keys that hold dots or slashes,
 * e.g. `scalingConfig.desiredSize`, `tags["kubernetes.io/role/elb"]`, `subnetIds[1]`.
 */
import { isSecret } from "./secrets";

export function parsePropertyPath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  let i = 0;
  while (i < path.length) {
    const ch = path[i];
    if (ch === ".") {
      i++;
    } else if (ch === "[") {
      const close = path[i + 1] === '"' ? closingQuote(path, i + 2) + 1 : path.indexOf("]", i);
      if (close < 0 || path[close] !== "]") return [path]; // not a path we understand: treat as one key
      const inner = path.slice(i + 1, close);
      segments.push(inner.startsWith('"') ? (JSON.parse(inner) as string) : Number(inner));
      i = close + 1;
    } else {
      let end = i;
      while (end < path.length && path[end] !== "." && path[end] !== "[") end++;
      segments.push(path.slice(i, end));
      i = end;
    }
  }
  return segments;
}

function closingQuote(path: string, from: number): number {
  for (let i = from; i < path.length; i++) {
    if (path[i] === "\\") i++;
    else if (path[i] === '"') return i;
  }
  return -2;
}

/**
 * The value at a path, or undefined when it is absent. Stops at a secret: a path into a secret
 * yields the secret itself, so the caller masks it instead of reading inside.
 */
export function valueAtPath(root: Record<string, unknown>, path: string): unknown {
  let current: unknown = root;
  for (const segment of parsePropertyPath(path)) {
    if (isSecret(current)) return current;
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}
