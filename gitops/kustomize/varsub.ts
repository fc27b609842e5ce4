/**
 * Flux's post-build variable substitution as far as the analysis needs it
 * (fluxcd/pkg kustomize/kustomize_varsub.go; https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution).
 */

/** A `${NAME}` reference in a manifest, as Flux's post-build substitution reads it. */
export interface VariableUse {
  name: string;
  /**
   * `${NAME:=x}`, `${NAME:-x}`: never left empty. (`${NAME=x}` and `${NAME-x}` apply their default
   * only to an unset variable, and Flux, not strict, counts every variable as set: see substituteText.)
   */
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
    uses.push({ name: m[2], hasDefault: /^:[=-]/.test(m[3]) });
  }
  return uses;
}

/**
 * What a Kustomization's post-build substitution supplies, as far as it can be read offline.
 * `values`: each variable it defines; `undefined` when defined by a source whose data cannot be read
 * (the stack's cluster-vars, a SOPS-encrypted value). `complete`: false when a `substituteFrom`
 * source cannot be read at all, so any other variable may be defined too. `active`: whether Flux
 * substitutes at all: only with at least one variable, or `substituteStrategy: Always`
 * (fluxcd/pkg kustomize/kustomize_varsub.go@e2cfd1a SubstituteVariables: `len(vars) > 0 || options.Always`).
 */
export interface Substitution {
  values: ReadonlyMap<string, string | undefined>;
  complete: boolean;
  active: boolean;
}

const UNKNOWN_OPEN = "\u27e8value of ";

/**
 * Stands in for a value substitution gives but this check cannot read. It holds no `${`, so no
 * later substitution sees a variable in it; a path holding it cannot be read (`holdsUnknownValue`).
 */
function unknownValue(name: string): string {
  return `${UNKNOWN_OPEN}${name}\u27e9`;
}

/** The text with each unknown value written back as the variable it stands for, for messages. */
export function withUnknownValuesAsVariables(text: string): string {
  return text.replace(/\u27e8value of ([_a-zA-Z][_a-zA-Z0-9]*)\u27e9/g, (_, name: string) => `\${${name}}`);
}

/** Whether a text holds a value substitution gave that this check cannot know. */
export function holdsUnknownValue(text: string): boolean {
  return text.includes(UNKNOWN_OPEN);
}

/**
 * One pass of Flux's substitution over a text (fluxcd/pkg envsubst@e2cfd1a, as varSubstitution
 * calls it without strict mode: every variable counts as set, an undefined one as empty). `$${X}`
 * loses one `$` (parse/scan.go scanEscaped), so the next substitution sees `${X}`. Only `:-` and
 * `:=` defaults apply to an undefined variable (it is set, and empty); `-` and `=` never do.
 */
export function substituteText(text: string, substitution: Substitution): string {
  if (!substitution.active || !text.includes("${")) return text;
  return text.replace(VARIABLE, (whole, escape: string, name: string, rest: string) => {
    if (escape === "$") return whole.slice(1);
    const defined = substitution.values.has(name);
    if (defined || !substitution.complete) {
      const value = substitution.values.get(name);
      if (value === undefined) return unknownValue(name);
      // Value operators (`^^`, `:n`, `#pattern`...) are rare in manifests: a known value is kept as is.
      if (value !== "") return value;
    }
    const fallback = /^:[=-](.*)$/.exec(rest);
    return fallback !== null ? fallback[1] : "";
  });
}
