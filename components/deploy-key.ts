/**
 * Names of the generated deploy key per generation (`flux.deployKeyGeneration`). Rotation is a
 * new name, not a replacement: Pulumi creates resources it has not seen before first and deletes
 * the ones the program no longer declares only at the end of the update, so the new key is on
 * GitHub and in the Secret (updated in place, same name) before the old key is removed, and Flux
 * always holds a key GitHub accepts. A replacement would need deleteBeforeReplace false and
 * replaceOnChanges on the key, and would still tie the GitHub key's lifetime to its input.
 * https://www.pulumi.com/docs/iac/concepts/how-pulumi-works/#creation-and-deletion-order
 */

/** Resource name of the key pair and of its GitHub deploy key: unchanged for a stack without a generation. */
export function deployKeyResourceName(component: string, generation: string | undefined): string {
  return generation === undefined ? `${component}-deploy-key` : `${component}-deploy-key-${generation}`;
}

/** Title of the GitHub deploy key: which cluster, and which generation when there is one. */
export function deployKeyTitle(clusterName: string, generation: string | undefined): string {
  return generation === undefined ? `flux ${clusterName}` : `flux ${clusterName} (generation ${generation})`;
}
