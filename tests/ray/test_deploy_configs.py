"""The cluster configs: the KubeRay manifest uses only fields of the KubeRay CRD, and
both it and cluster.yaml give their kgym nodes the resources kgym's actors request."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from actors.platforms.node import KVM_RESOURCE, RESOURCE

REPO = Path(__file__).resolve().parents[2]
KUBERAY = REPO / "deploy" / "kuberay"


def crd_fields() -> dict[str, str]:
    lines = (KUBERAY / "raycluster-v1-fields.txt").read_text().splitlines()
    return dict(line.split(" ", 1) for line in lines if line and not line.startswith("#"))


def manifest_paths(value: object, prefix: str, fields: dict[str, str]) -> list[str]:
    """Every field path of a YAML value, in the field list's notation (a key of a map
    field, such as a label, is `.*`)."""
    out = [prefix]
    if isinstance(value, dict):
        for key, sub in value.items():
            child = f"{prefix}.{key}"
            if child not in fields and f"{prefix}.*" in fields:
                child = f"{prefix}.*"
            out += manifest_paths(sub, child, fields)
    elif isinstance(value, list):
        for item in value:
            out += manifest_paths(item, f"{prefix}[]", fields)
    return out


def known(path: str, fields: dict[str, str]) -> bool:
    return path in fields


def test_the_field_list_is_the_crds() -> None:
    fields = crd_fields()
    assert len(fields) > 2000 and fields["spec.headGroupSpec"] == "object"
    assert fields["spec.workerGroupSpecs[].rayStartParams.*"] == "string"
    assert fields["spec.workerGroupSpecs[].template.spec.containers[].image"] == "string"


def test_every_field_of_the_manifest_is_in_the_crd() -> None:
    manifest = yaml.safe_load((KUBERAY / "raycluster.yaml").read_text())
    assert manifest["apiVersion"] == "ray.io/v1" and manifest["kind"] == "RayCluster"
    fields = crd_fields()
    paths = manifest_paths(manifest["spec"], "spec", fields)
    unknown = [p for p in paths if not known(p, fields)]
    assert unknown == []


def test_a_made_up_field_is_caught() -> None:
    fields = crd_fields()
    bad = {"headGroupSpec": {"replicaz": 1, "rayStartParams": {"any-flag": "1"}}}
    paths = manifest_paths(bad, "spec", fields)
    assert [p for p in paths if not known(p, fields)] == ["spec.headGroupSpec.replicaz"]


def test_kuberay_workers_are_kgym_nodes_with_kvm() -> None:
    manifest = yaml.safe_load((KUBERAY / "raycluster.yaml").read_text())
    head = manifest["spec"]["headGroupSpec"]
    assert RESOURCE not in head["rayStartParams"].get("resources", "")
    for group in manifest["spec"]["workerGroupSpecs"]:
        resources = json.loads(json.loads(group["rayStartParams"]["resources"]))
        assert resources[RESOURCE] >= 1 and resources[KVM_RESOURCE] >= 1
        pod = group["template"]["spec"]
        kvm = next(v for v in pod["volumes"] if v.get("hostPath", {}).get("path") == "/dev/kvm")
        mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
        assert mounts[kvm["name"]] == "/dev/kvm"
        env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
        assert env["KGYM_HOME"] in mounts.values()  # the node's state on its own disk


def test_cluster_yaml_requests_what_it_declares() -> None:
    config = yaml.safe_load((REPO / "cluster.yaml").read_text())
    requested = {RESOURCE, KVM_RESOURCE}  # by the build cache and VM pool actors
    kgym_nodes = 0
    for name, node_type in config["available_node_types"].items():
        declared = set(node_type.get("resources", {})) - {"CPU", "GPU", "memory"}
        assert declared <= requested, f"{name} declares {declared - requested}, never requested"
        if KVM_RESOURCE in declared:
            assert RESOURCE in declared, f"{name}: a KVM node that kgym would not use"
        kgym_nodes += RESOURCE in declared and node_type.get("min_workers", 0)
    assert kgym_nodes >= 1, "no kgym node starts with the cluster: nothing would run"
