"""deploy/: every Kustomize folder builds, its objects are valid Kubernetes objects, and apply."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import deploykit
import pytest

from gitops_ocm.cli import envflags
from gitops_ocm.cli import main as cli
from gitops_ocm.kube import client
from gitops_ocm.localkube import kubeconfig, server, store

FOLDERS = deploykit.kustomizations()
IDS = [str(p.relative_to(deploykit.DEPLOY)) for p in FOLDERS]
SAMPLE_ENV = {
    "GITOPS_OCM_REPO": "https://git.example.com/fleet.git",
    "CLUSTER_NAME": "eu-prod-1",
}


@pytest.fixture(scope="module")
def built() -> dict[str, list[dict[str, Any]]]:
    """Every folder's objects, built once."""
    return {name: deploykit.build(path) for name, path in zip(IDS, FOLDERS, strict=True)}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[client.KubernetesCluster]:
    """A local API server on 127.0.0.1 and the official client connected to it."""
    with server.ApiServer(store.Store()) as running:
        path = kubeconfig.write(tmp_path_factory.mktemp("kube") / "kubeconfig", running.url)
        yield client.KubernetesCluster.from_kubeconfig(str(path))


def deployments(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Deployments among built objects."""
    return [o for o in objects if o["kind"] == "Deployment"]


def test_the_expected_folders_exist() -> None:
    """Both bases, an example overlay each, and the agent's cluster-admin overlay are there."""
    assert set(IDS) >= {
        "controller/base",
        "controller/overlays/example",
        "agent/base",
        "agent/overlays/example",
        "agent/overlays/cluster-admin",
    }


@pytest.mark.parametrize("name", IDS)
def test_builds_into_valid_objects(built: dict[str, list[dict[str, Any]]], name: str) -> None:
    """kubectl kustomize builds the folder; no object has an unknown field or a wrong type."""
    objects = built[name]
    assert len(deployments(objects)) == 1
    assert [p for o in objects for p in deploykit.schema_problems(o)] == []


def test_validation_catches_mistakes(built: dict[str, list[dict[str, Any]]]) -> None:
    """The schema check reports an unknown field, a wrong type and a missing required field."""
    deployment = deployments(built["agent/base"])[0]
    spec = deployment["spec"]["template"]["spec"]
    bad_field = {**spec["containers"][0], "imagePolicy": "Always"}
    wrong = {**deployment, "spec": {**deployment["spec"], "replicas": "one"}}
    no_selector = {
        **deployment,
        "spec": {k: v for k, v in deployment["spec"].items() if k != "selector"},
    }
    unknown = {
        **deployment,
        "spec": {**deployment["spec"], "template": {"spec": {**spec, "containers": [bad_field]}}},
    }
    assert deploykit.schema_problems(unknown) == [
        "Deployment.spec.template.spec.containers[0].imagePolicy: no such field in V1Container"
    ]
    assert deploykit.schema_problems(wrong) != []
    assert deploykit.schema_problems(no_selector) != []


@pytest.mark.parametrize("name", IDS)
def test_applies_to_localkube(
    built: dict[str, list[dict[str, Any]]], api: client.KubernetesCluster, name: str
) -> None:
    """Every object is accepted by server-side apply and reads back as applied."""
    for obj in built[name]:
        meta = obj["metadata"]
        applied = api.apply(obj, field_manager="deploy-test", force=True)
        assert applied["metadata"]["name"] == meta["name"]
        again = api.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        assert again is not None
        assert deploykit.contains(again, {k: v for k, v in obj.items() if k != "metadata"})
        assert deploykit.contains(again["metadata"], meta)


@pytest.mark.parametrize("name", IDS)
def test_pods_are_locked_down(built: dict[str, list[dict[str, Any]]], name: str) -> None:
    """Non-root, seccomp RuntimeDefault, read-only root, no capabilities, resources, one replica."""
    deployment = deployments(built[name])[0]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert "memory" in container["resources"]["limits"]


@pytest.mark.parametrize("name", IDS)
def test_state_is_on_a_claim_and_paths_are_mounted(
    built: dict[str, list[dict[str, Any]]], name: str
) -> None:
    """The state folder is a PersistentVolumeClaim; every path the args name is mounted."""
    objects = built[name]
    pod = deployments(objects)[0]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    container = pod["containers"][0]
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
    assert "persistentVolumeClaim" in mounts["/var/lib/gitops-ocm"]
    claims = {o["metadata"]["name"] for o in objects if o["kind"] == "PersistentVolumeClaim"}
    assert mounts["/var/lib/gitops-ocm"]["persistentVolumeClaim"]["claimName"] in claims
    paths = [a.split("=", 1)[-1] for a in container["args"] if a.startswith("/")]
    assert paths and all(any(p.startswith(m) for m in mounts) for p in paths)


@pytest.mark.parametrize("name", IDS)
def test_args_are_what_the_cli_takes(built: dict[str, list[dict[str, Any]]], name: str) -> None:
    """The container's args and GITOPS_OCM_* environment parse with gitops-ocm's own parser.

    The repository URL (it may hold credentials) comes from the environment only,
    never from the args, so it does not show in ``ps``.
    """
    pod = deployments(built[name])[0]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    declared = {e["name"] for e in container["env"]}
    args = list(container["args"])
    assert "--repo" not in args and "GITOPS_OCM_REPO" in declared
    for var, value in SAMPLE_ENV.items():
        if f"$({var})" in args:
            assert var in declared
            args = [value if a == f"$({var})" else a for a in args]
    parser = cli.build_parser()
    envflags.apply(parser, {k: v for k, v in SAMPLE_ENV.items() if k in declared})
    parsed = parser.parse_args(args)
    assert parsed.command in ("controller", "agent")
    assert parsed.repo == SAMPLE_ENV["GITOPS_OCM_REPO"]
    if parsed.command == "agent":
        assert parsed.in_cluster and parsed.cluster == SAMPLE_ENV["CLUSTER_NAME"]
        assert str(parsed.state) == "/var/lib/gitops-ocm"
    else:
        assert parsed.signing_key == "/var/lib/gitops-ocm/controller.key"
