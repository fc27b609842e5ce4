/**
 * What an IAM policy document grants, as a set: one (effect, action, resource, condition) tuple per
 * combination, with actions lower-cased (IAM compares them case-insensitively), single values
 * written as lists, condition keys and values sorted. Two documents grant the same when their sets
 * are equal, however their statements are grouped or ordered.
 */
type Json = Record<string, unknown>;
const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function normalisedCondition(condition: unknown): string {
  if (condition === undefined) return "";
  const operators = Object.entries(condition as Record<string, Record<string, unknown>>)
    .map(([op, keys]) => [op, Object.entries(keys).map(([k, v]) => [k.toLowerCase(), list(v).sort()]).sort()] as const)
    .sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(operators);
}

export function grants(policy: Json): Set<string> {
  const out = new Set<string>();
  for (const s of policy.Statement as Json[]) {
    for (const action of list(s.Action)) {
      for (const resource of list(s.Resource)) out.add(JSON.stringify([s.Effect, action.toLowerCase(), resource, normalisedCondition(s.Condition)]));
    }
  }
  return out;
}

/** Tuples one side grants and the other does not, for a readable failure. */
export function grantDifference(ours: Json, theirs: Json): { onlyOurs: string[]; onlyTheirs: string[] } {
  const a = grants(ours);
  const b = grants(theirs);
  return { onlyOurs: [...a].filter((g) => !b.has(g)).sort(), onlyTheirs: [...b].filter((g) => !a.has(g)).sort() };
}
