/**
 * Flux's post-build variable substitution as far as the analysis needs it
 * (fluxcd/pkg kustomize/kustomize_varsub.go; https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution).
 */

/** A `${NAME}` reference in a manifest, as Flux's post-build substitution reads it. */
export interface VariableUse {
  name: string;
  /** `${NAME:=x}`, `${NAME:-x}`, `${NAME=x}`, `${NAME-x}`: never left empty. */
  hasDefault: boolean;
}

/** `$${NAME}` is Flux's escape for a literal `${NAME}`, so it is not a use. */
const VARIABLE = /\$(\$?)\{([_a-zA-Z][_a-zA-Z0-9]*)([^}]*)\}/g;

/** The variables a string uses under Flux's postBuild substitution. */
export function variableUses(text: string): VariableUse[] {
  if (!text.includes("${")) return [];
  const uses: VariableUse[] = [];
  for (const m of text.matchAll(VARIABLE)) {
    if (m[1] === "$") continue;
    uses.push({ name: m[2], hasDefault: /^:?[=-]/.test(m[3]) });
  }
  return uses;
}

/** The string with the variables whose values are known replaced (defaults apply); others stay. */
export function substituteKnown(text: string, values: ReadonlyMap<string, string>): string {
  if (!text.includes("${")) return text;
  return text.replace(VARIABLE, (whole, escape: string, name: string, rest: string) => {
    if (escape === "$") return whole;
    const value = values.get(name);
    if (value !== undefined) return value;
    const fallback = /^:?[=-](.*)$/.exec(rest);
    return fallback !== null ? fallback[1] : whole;
  });
}
