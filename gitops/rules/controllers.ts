import { controllerOfKind } from "../flux/apis";
import { Finding } from "../model";
import { bootstrapLeftoverKind } from "../flux/install";
import { Rule, findingAt } from "./context";

/**
 * Flux kinds whose controller the Flux install does not run: the CRD is not installed (the
 * Flux Operator installs the CRDs of the selected components only) and nothing would reconcile
 * the object. One finding per missing controller, at the first object that needs it.
 */
export const controllerNotInstalled: Rule = (context) => {
  const findings: Finding[] = [];
  const { components, componentsFrom } = context.flux;
  const reported = new Set<string>();
  for (const o of context.flux.applied) {
    if (context.flux.bootstrap === "stack" && bootstrapLeftoverKind(o) !== undefined) continue;
    const controller = controllerOfKind(o.group, o.kind);
    if (controller === undefined || components.includes(controller) || reported.has(controller)) continue;
    reported.add(controller);
    const users = context.flux.applied.filter((x) => controllerOfKind(x.group, x.kind) === controller);
    findings.push(findingAt(
      "controller-not-installed", "error",
      context.nodes.find((n) => n.objects.includes(o)),
      `${o.kind} ${o.namespace ?? ""}${o.namespace === undefined ? "" : "/"}${o.name} at ${o.source.file}:${o.source.line} ` +
        `${users.length > 1 ? `(and ${users.length - 1} more object${users.length === 2 ? "" : "s"} of its kinds) ` : ""}needs ${controller}, which Flux does not run ` +
        `here (components: ${components.join(", ")}, from ${componentsFrom})`,
      context.flux.bootstrap === "stack"
        ? `add ${controller} to flux.components, or leave flux.components unset so the stack installs what the repository uses`
        : `install ${controller} with Flux (FluxInstance spec.components or flux bootstrap --components-extra)`,
      o.source,
    ));
  }
  return findings;
};
