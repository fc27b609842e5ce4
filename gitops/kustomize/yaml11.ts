import { Document, isAlias, isCollection, isNode, isPair, isScalar, Scalar } from "yaml";

/**
 * A plain scalar that YAML 1.1 might read as something other than what YAML 1.2 read: a
 * bool or null word of 1.1 (`yes`, `off`, `Null`...), or a text that starts like a 1.1 number,
 * timestamp, `~`, `<<` (merge) or `=`. Derived from eemeli/yaml's schema/yaml-1.1 tag tests
 * (bool, int, float, timestamp, merge, null): each needs one of these starts. Conservative: a
 * match only means "parse it again with 1.1", never a verdict.
 */
const MAY_DIFFER_IN_YAML11 =
  /^(?:[0-9~<=]|[-+.](?!\.?\/)|(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$)/;

/**
 * Whether YAML 1.1 (as kustomize's sigs.k8s.io/yaml reads a kustomization file) gives the same
 * data as the YAML 1.2 documents already parsed: one document, no %YAML directive, no alias,
 * no explicit tag, every key a scalar, and no plain scalar that the 1.1 schema could resolve
 * differently. Then the 1.1 type check runs on the 1.2 data instead of parsing the text again.
 */
export function readsAlikeInYaml11(docs: Document.Parsed[]): boolean {
  if (docs.length !== 1) return false;
  const doc = docs[0];
  if (doc.directives?.yaml.explicit) return false;
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || node === undefined) continue;
    if (isPair(node)) {
      if (node.key !== null && !isScalar(node.key)) return false;
      stack.push(node.key, node.value);
      continue;
    }
    if (!isNode(node) || isAlias(node) || node.tag !== undefined) return false;
    if (isScalar(node)) {
      if (node.type === Scalar.PLAIN && typeof node.source === "string" && MAY_DIFFER_IN_YAML11.test(node.source)) return false;
      if (node.type === Scalar.PLAIN && typeof node.source !== "string") return false;
    } else if (isCollection(node)) {
      for (const item of node.items) stack.push(item);
    } else {
      return false;
    }
  }
  return true;
}
