/**
 * Defers three modules the Pulumi SDK loads at import but an offline plan never calls: two thirds
 * of the SDK's start-up time (1.3 s of `require("@pulumi/pulumi")` on this machine, 0.4 s with
 * these deferred).
 *
 * @pulumi/pulumi 3.270.0 requires them eagerly:
 * - `typescript` (typescript-shim.js, for runtime/closure/parseFunction.js and friends): parses
 *   JavaScript when a function is serialized (`pulumi.runtime.serializeFunction`, used by
 *   callback-style Lambdas); this program serializes no function.
 * - `@npmcli/arborist` (runtime/closure/codePaths.js): walks node_modules to package such a
 *   function's dependencies.
 * - `./automation` (index.js): the Automation API, which drives the Pulumi CLI.
 *
 * Each is replaced by a stand-in that loads the real module on first use, so nothing changes if
 * the SDK does use one; the stand-in answers `__esModule: true` without loading (how the SDK's
 * `__importStar` tells an ES module, which all three are used as) and forwards everything else.
 * `pulumi up` runs the program through the Pulumi language host, not through here.
 */
import Module = require("module");

/** `request` as the SDK file at the end of `parentPath` writes it. */
const DEFERRED: { request: string; parentPath: string }[] = [
  { request: "typescript", parentPath: "/@pulumi/pulumi/typescript-shim.js" },
  { request: "@npmcli/arborist", parentPath: "/@pulumi/pulumi/runtime/closure/codePaths.js" },
  { request: "./automation", parentPath: "/@pulumi/pulumi/index.js" },
];

type Loader = (request: string, parent: NodeModule | undefined, isMain: boolean) => unknown;

let installed = false;

/** A stand-in for a module: loads it on first use, then behaves as it. */
function onFirstUse(load: () => object): object {
  let real: object | undefined;
  const target = (): object => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_, key) => (key === "__esModule" && real === undefined ? true : Reflect.get(target(), key)),
      set: (_, key, value) => Reflect.set(target(), key, value),
      has: (_, key) => Reflect.has(target(), key),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
        // A proxy may not report a property non-configurable that its own target lacks.
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

/** Installs the deferral; call before the Pulumi SDK is first required. */
export function deferUnusedSdkModules(): void {
  if (installed) return;
  installed = true;
  const internal = Module as unknown as { _load: Loader };
  const load = internal._load;
  internal._load = function deferring(request, parent, isMain) {
    // A builtin module's require (e.g. from the REPL's context) has a parent with no filename.
    const filename = (parent?.filename as string | null | undefined)?.split("\\").join("/");
    if (filename !== undefined && DEFERRED.some((d) => d.request === request && filename.endsWith(d.parentPath))) {
      return onFirstUse(() => load.call(this, request, parent, isMain) as object);
    }
    return load.call(this, request, parent, isMain);
  };
}
