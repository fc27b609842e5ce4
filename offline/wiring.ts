/**
 * What the engine learns about a resource's place in the graph when it is registered: the URNs
 * it depends on and the provider that manages it. Pulumi's mock `newResource` is not given these
 * (`MockResourceArgs` has inputs and a provider id only), so they are read from the registration
 * request itself, as the mock monitor receives it: `RegisterResourceRequest.dependencies` is the
 * SDK's `allDirectDependencyURNs` (explicit `dependsOn` plus every resource an input Output
 * carries, components expanded to their children; see prepareResource() in
 * @pulumi/pulumi/runtime/resource.js), and `provider` is the reference `urn::id`.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Wiring {
  dependencies: string[];
  /** URN of the explicit provider, undefined when the resource uses none (components, default providers). */
  provider?: string;
}

interface RegisterRequest {
  getDependenciesList(): string[];
  getProvider(): string;
}
interface RegisterResponse {
  getUrn(): string;
}
type Callback = (err: unknown, response?: RegisterResponse) => void;
interface Monitor {
  registerResource(request: RegisterRequest, callback: Callback): unknown;
}

/** The URN of a provider reference `urn::id` (a URN itself contains `::`, the id never does). */
export function providerUrn(reference: string): string | undefined {
  if (reference === "") return undefined;
  const cut = reference.lastIndexOf("::");
  return cut < 0 ? reference : reference.slice(0, cut);
}

/**
 * Starts recording the wiring of every resource registered from now on with the current (mock)
 * monitor; call right after `setMocks`. Returns the map it fills, URN -> wiring.
 */
export function recordWiring(): Map<string, Wiring> {
  const wiring = new Map<string, Wiring>();
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor | undefined;
  if (!monitor) throw new Error("offline plan: no resource monitor; call setMocks first");
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) =>
    register(request, (err, response) => {
      if (!err && response) {
        wiring.set(response.getUrn(), {
          dependencies: [...new Set(request.getDependenciesList())],
          provider: providerUrn(request.getProvider()),
        });
      }
      callback(err, response);
    });
  return wiring;
}
