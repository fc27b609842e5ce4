/**
 * Defers modules the Pulumi SDK and the provider packages load at import but an offline plan
 * mostly never calls: together, about two thirds of the packages' start-up time (on this machine
 * `require("@pulumi/pulumi")` takes 1.3 s of CPU, 0.4 s with these deferred, and
 * `require("@pulumi/aws")` 0.32 s, 0.01 s).
 *
 * @pulumi/pulumi 3.270.0 requires three eagerly:
 * - `typescript` (typescript-shim.js, for runtime/closure/parseFunction.js and friends): parses
 *   JavaScript when a function is serialized (`pulumi.runtime.serializeFunction`, used by
 *   callback-style Lambdas); this program serializes no function.
 * - `@npmcli/arborist` (runtime/closure/codePaths.js): walks node_modules to package such a
 *   function's dependencies.
 * - `./automation` (index.js): the Automation API, which drives the Pulumi CLI.
 * And @pulumi/aws and @pulumi/kubernetes require every service namespace from their index (about
 * 250 for AWS: `aws.accessanalyzer` ... `aws.xray`), of which the program uses a few (ec2, iam,
 * eks; core, apps, helm): each is loaded when the program first reaches into it. A namespace
 * registers its resource modules with the SDK when it loads, which the SDK needs only to turn a
 * resource reference the engine returns back into an object of that namespace: one the program
 * never touched cannot be among them (test/program/deferred-modules.test.ts compares whole plans).
 *
 * Each is replaced by a stand-in that loads the real module on first use, so nothing changes if
 * it is used after all; the stand-in answers `__esModule: true` without loading (how the
 * packages' `__importStar` tells an ES module, which all of them are used as) and forwards
 * everything else. `pulumi up` runs the program through the Pulumi language host, not through here.
 */
import Module = require("module");

/** `request` as the SDK file at the end of `parentPath` writes it. */
const DEFERRED: { request: string; parentPath: string }[] = [
  { request: "typescript", parentPath: "/@pulumi/pulumi/typescript-shim.js" },
  { request: "@npmcli/arborist", parentPath: "/@pulumi/pulumi/runtime/closure/codePaths.js" },
  { request: "./automation", parentPath: "/@pulumi/pulumi/index.js" },
];

/** Provider packages whose index requires every service namespace (`./<namespace>`). */
const PROVIDER_INDEXES = ["/@pulumi/aws/index.js", "/@pulumi/kubernetes/index.js"];

function deferred(request: string, filename: string): boolean {
  if (DEFERRED.some((d) => d.request === request && filename.endsWith(d.parentPath))) return true;
  // `./utilities` holds the package's own lazy loading and `./provider` is loaded lazily already.
  return /^\.\/[a-z0-9]+$/.test(request) && request !== "./utilities" && PROVIDER_INDEXES.some((p) => filename.endsWith(p));
}

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
    if (filename !== undefined && deferred(request, filename)) {
      return onFirstUse(() => load.call(this, request, parent, isMain) as object);
    }
    return load.call(this, request, parent, isMain);
  };
}
