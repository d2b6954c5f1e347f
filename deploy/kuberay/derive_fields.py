"""Derive the field list of a RayCluster CRD (the file KubeRay ships) for the manifest test.

    python deploy/kuberay/derive_fields.py ray.io_rayclusters.yaml > raycluster-v1-fields.txt

One line per field path of the `v1` schema's `spec` (`[]` marks an array's
items, `*` a map's values), with its type. The CRD itself is not reachable
offline, so the test reads this list, not the CRD.
"""

from __future__ import annotations

import sys

import yaml


def paths(schema: dict, prefix: str):
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if schema.get("x-kubernetes-int-or-string"):
        kind = "int-or-string"
    yield prefix, kind
    for name, sub in (schema.get("properties") or {}).items():
        yield from paths(sub, f"{prefix}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from paths(schema["items"], f"{prefix}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from paths(schema["additionalProperties"], f"{prefix}.*")


def main(crd_path: str) -> None:
    with open(crd_path) as f:
        crd = yaml.safe_load(f)
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    for path, kind in paths(spec, "spec"):
        print(f"{path} {kind}")


if __name__ == "__main__":
    main(sys.argv[1])
