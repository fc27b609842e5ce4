#!/usr/bin/env python3
"""Regenerates gitops/flux/served-versions.json and gitops/flux/crd-schemas.json from
the Flux repositories' git history (Apache-2.0): for each Flux minor, fluxcd/flux2
`manifests/bases/<controller>/kustomization.yaml` at tag v<minor>.0 names the controller
release; that controller's `config/crd/bases/*.yaml` at that tag says which versions are
`served: true`. Schemas are the CRDs' `openAPIV3Schema` for the newest minor, descriptions
dropped. Usage: tools/vendor-flux-apis.py MIRROR_DIR (holding fluxcd+<repo>/repo git dirs).
"""
import json, re, subprocess, sys, yaml

MIRROR = sys.argv[1]
MINORS = ["2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9"]
CONTROLLERS = ["source-controller", "kustomize-controller", "helm-controller", "notification-controller",
               "image-reflector-controller", "image-automation-controller", "source-watcher"]

def git(repo, *args):
    return subprocess.run(["git", "--git-dir", f"{MIRROR}/fluxcd+{repo}/repo", *args],
                          capture_output=True, text=True, check=True).stdout

def tags(repo):
    return set(git(repo, "tag").split())

def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node

minors = []
schemas = {}
for minor in MINORS:
    controllers = []
    kinds = []
    for c in CONTROLLERS:
        try:
            k = git("flux2", "show", f"v{minor}.0:manifests/bases/{c}/kustomization.yaml")
        except subprocess.CalledProcessError:
            continue
        ver = re.search(r"releases/download/(v[0-9.]+)/", k).group(1)
        read_at = ver
        if ver not in tags(c):  # the stored mirror lacks some patch tags: use the newest of that minor
            same = sorted((t for t in tags(c) if re.fullmatch(re.escape(ver.rsplit(".", 1)[0]) + r"\.\d+", t)),
                          key=lambda t: int(t.rsplit(".", 1)[1]))
            read_at = [t for t in same if int(t.rsplit(".", 1)[1]) <= int(ver.rsplit(".", 1)[1])][-1]
        controllers.append({"controller": c, "release": ver, **({"readAt": read_at} if read_at != ver else {})})
        for f in git(c, "ls-tree", "--name-only", read_at, "config/crd/bases/").split():
            crd = yaml.safe_load(git(c, "show", f"{read_at}:{f}"))
            spec = crd["spec"]
            served = [v["name"] for v in spec["versions"] if v.get("served")]
            storage = [v["name"] for v in spec["versions"] if v.get("storage")][0]
            kinds.append({"group": spec["group"], "kind": spec["names"]["kind"], "controller": c,
                          "served": served, "storage": storage})
            if minor == MINORS[-1]:
                for v in spec["versions"]:
                    if v.get("served"):
                        schemas[f"{spec['group']}/{v['name']}/{spec['names']['kind']}"] = {
                            "source": f"fluxcd/{c}@{read_at}:{f}",
                            "schema": strip(v["schema"]["openAPIV3Schema"]),
                        }
    minors.append({"flux": minor, "fluxTag": f"v{minor}.0", "controllers": controllers, "kinds": kinds})

json.dump({"source": "fluxcd/flux2 manifests/bases/*/kustomization.yaml at v<minor>.0; fluxcd/<controller> config/crd/bases at that release",
           "minors": minors}, open("gitops/flux/served-versions.json", "w"), indent=1)
json.dump({"licence": "Apache-2.0 (the Flux authors)", "flux": MINORS[-1], "schemas": schemas},
          open("gitops/flux/crd-schemas.json", "w"), separators=(",", ":"))
