"""Acceptance: the local API server's REST protocol, via raw HTTP and the kubernetes client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import kubernetes
import pytest
from conftest import LocalKube

from gitops_ocm.localkube import store


def http(
    kube: LocalKube,
    method: str,
    path: str,
    body: Any = None,
    content_type: str = "application/json",
) -> tuple[int, dict[str, Any]]:
    """Send one request; return the status code and the decoded JSON answer."""
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    request = urllib.request.Request(kube.server.url + path, data=data, method=method)
    request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


CM_PATH = "/api/v1/namespaces/default/configmaps"


def cm(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


@pytest.mark.parametrize(
    ("path", "kind", "check"),
    [
        ("/api", "APIVersions", lambda d: d["versions"] == ["v1"]),
        ("/apis", "APIGroupList", lambda d: "apps" in [g["name"] for g in d["groups"]]),
        ("/apis/apps", "APIGroup", lambda d: d["preferredVersion"]["groupVersion"] == "apps/v1"),
        ("/api/v1", "APIResourceList", lambda d: d["groupVersion"] == "v1"),
        (
            "/apis/apps/v1",
            "APIResourceList",
            lambda d: "deployments/status" in [r["name"] for r in d["resources"]],
        ),
    ],
)
def test_discovery_documents(localkube: LocalKube, path: str, kind: str, check: Any) -> None:
    """Discovery endpoints answer with the documented kinds and content."""
    code, document = http(localkube, "GET", path)
    assert code == 200 and document["kind"] == kind and check(document)


def test_version(localkube: LocalKube) -> None:
    """/version reports major, minor and gitVersion."""
    code, document = http(localkube, "GET", "/version")
    assert code == 200 and document["major"] == "1" and document["gitVersion"].startswith("v1.")


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "reason"),
    [
        ("GET", CM_PATH + "/missing", None, 404, "NotFound"),
        ("GET", "/api/v1/nothings", None, 404, "NotFound"),
        ("POST", CM_PATH, {"metadata": {"name": "Bad_Name"}}, 422, "Invalid"),
        ("POST", CM_PATH, {"metadata": {}}, 422, "Invalid"),
        ("POST", CM_PATH, b"{not json", 400, "BadRequest"),
        ("POST", "/api/v1/namespaces/missing/configmaps", cm("a"), 404, "NotFound"),
        ("GET", CM_PATH + "?labelSelector=a%20in%20", None, 400, "BadRequest"),
        ("PUT", CM_PATH + "/missing", cm("missing"), 404, "NotFound"),
    ],
    ids=[
        "get-missing",
        "unknown-resource",
        "bad-name",
        "no-name",
        "bad-json",
        "no-ns",
        "bad-sel",
        "put-missing",
    ],
)
def test_errors_are_status_objects(
    localkube: LocalKube, method: str, path: str, body: Any, code: int, reason: str
) -> None:
    """Errors come back as Status objects with the HTTP code and reason."""
    got, document = http(localkube, method, path, body)
    assert (got, document["kind"], document["status"], document["reason"], document["code"]) == (
        code,
        "Status",
        "Failure",
        reason,
        code,
    )


def test_create_is_201_and_duplicate_is_409(localkube: LocalKube) -> None:
    """POST answers 201 Created, and 409 AlreadyExists for a taken name."""
    assert http(localkube, "POST", CM_PATH, cm("a"))[0] == 201
    code, status = http(localkube, "POST", CM_PATH, cm("a"))
    assert (code, status["reason"], status["message"]) == (
        409,
        "AlreadyExists",
        'configmaps "a" already exists',
    )


def test_put_with_stale_resource_version_is_409_conflict(localkube: LocalKube) -> None:
    """PUT with an old resourceVersion answers 409 Conflict."""
    _, created = http(localkube, "POST", CM_PATH, cm("a"))
    http(localkube, "PUT", CM_PATH + "/a", {**created, "data": {"k": "1"}})
    code, status = http(localkube, "PUT", CM_PATH + "/a", {**created, "data": {"k": "2"}})
    assert (code, status["reason"]) == (409, "Conflict")
    assert "the object has been modified" in status["message"]


def test_list_has_list_kind_and_resource_version(localkube: LocalKube) -> None:
    """A list answer is a <Kind>List with metadata.resourceVersion."""
    http(localkube, "POST", CM_PATH, cm("a"))
    code, document = http(localkube, "GET", "/api/v1/configmaps")
    assert code == 200 and document["kind"] == "ConfigMapList" and document["apiVersion"] == "v1"
    assert document["metadata"]["resourceVersion"] and len(document["items"]) == 1


@pytest.mark.parametrize(
    ("content_type", "patch", "expected"),
    [
        ("application/merge-patch+json", {"data": {"b": "2", "a": None}}, {"b": "2"}),
        ("application/strategic-merge-patch+json", {"data": {"b": "2"}}, {"a": "1", "b": "2"}),
        ("application/json-patch+json", [{"op": "remove", "path": "/data/a"}], {}),
    ],
    ids=["merge", "strategic", "json"],
)
def test_patch_content_types(
    localkube: LocalKube, content_type: str, patch: Any, expected: dict[str, str]
) -> None:
    """PATCH honours merge, strategic merge and JSON patch content types."""
    http(localkube, "POST", CM_PATH, cm("a", a="1"))
    code, patched = http(localkube, "PATCH", CM_PATH + "/a", patch, content_type)
    assert code == 200 and patched.get("data", {}) == expected


def test_apply_requires_field_manager_and_creates_with_201(localkube: LocalKube) -> None:
    """Apply without fieldManager is 400; with it, a new object is 201 and managed."""
    body = json.dumps(cm("a", k="v")).encode()
    apply_type = "application/apply-patch+yaml"
    assert http(localkube, "PATCH", CM_PATH + "/a", body, apply_type)[0] == 400
    code, created = http(localkube, "PATCH", CM_PATH + "/a?fieldManager=me", body, apply_type)
    assert code == 201 and created["metadata"]["managedFields"][0]["operation"] == "Apply"


def test_dry_run_does_not_store(localkube: LocalKube) -> None:
    """dryRun=All answers with the result but stores nothing."""
    code, _ = http(localkube, "POST", CM_PATH + "?dryRun=All", cm("a"))
    assert code == 201 and http(localkube, "GET", CM_PATH + "/a")[0] == 404


def test_delete_collection_by_label(localkube: LocalKube) -> None:
    """DELETE on a collection removes only what the selector matches."""
    for name, tier in (("a", "x"), ("b", "y")):
        http(
            localkube,
            "POST",
            CM_PATH,
            {**cm(name), "metadata": {"name": name, "labels": {"t": tier}}},
        )
    code, gone = http(localkube, "DELETE", CM_PATH + "?labelSelector=t%3Dx")
    assert code == 200 and [o["metadata"]["name"] for o in gone["items"]] == ["a"]
    assert [o["metadata"]["name"] for o in http(localkube, "GET", CM_PATH)[1]["items"]] == ["b"]


def test_typed_client_round_trip(localkube: LocalKube) -> None:
    """The typed CoreV1Api creates, strategic-patches, lists and deletes."""
    api = kubernetes.client.CoreV1Api(
        kubernetes.config.new_client_from_config(str(localkube.kubeconfig))
    )
    api.create_namespaced_config_map("default", cm("a", k="v"))
    api.patch_namespaced_config_map("a", "default", {"data": {"k2": "v2"}})
    listed = api.list_namespaced_config_map("default", label_selector="")
    assert [(i.metadata.name, i.data) for i in listed.items] == [("a", {"k": "v", "k2": "v2"})]
    status = api.delete_namespaced_config_map("a", "default")
    assert (status["kind"], status["status"], status["details"]["name"]) == (
        "Status",
        "Success",
        "a",
    )
    with pytest.raises(kubernetes.client.ApiException) as caught:
        api.read_namespaced_config_map("a", "default")
    assert caught.value.status == 404


def test_typed_apps_strategic_merge_keeps_containers(localkube: LocalKube) -> None:
    """A strategic patch adding a container merges by name (it does not replace the list)."""
    apps = kubernetes.client.AppsV1Api(
        kubernetes.config.new_client_from_config(str(localkube.kubeconfig))
    )
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "a", "image": "x"}]},
            },
        },
    }
    apps.create_namespaced_deployment("default", deployment)
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "y"}]}}}}
    patched = apps.patch_namespaced_deployment("web", "default", patch)
    assert [c.name for c in patched.spec.template.spec.containers] == ["a", "b"]


def test_dynamic_client_server_side_apply_and_watch(localkube: LocalKube) -> None:
    """DynamicClient server_side_apply conflicts unless forced; watch resumes by resourceVersion."""
    api = kubernetes.config.new_client_from_config(str(localkube.kubeconfig))
    dynamic = kubernetes.dynamic.DynamicClient(api, cache_file=str(localkube.cache_file))
    configmaps = dynamic.resources.get(api_version="v1", kind="ConfigMap")
    first = dynamic.server_side_apply(
        configmaps,
        body={**cm("a", k="1"), "metadata": {"name": "a", "namespace": "default"}},
        field_manager="one",
    )
    with pytest.raises(kubernetes.dynamic.exceptions.ConflictError):
        dynamic.server_side_apply(
            configmaps,
            body={**cm("a", k="2"), "metadata": {"name": "a", "namespace": "default"}},
            field_manager="two",
        )
    dynamic.server_side_apply(
        configmaps,
        body={**cm("a", k="2"), "metadata": {"name": "a", "namespace": "default"}},
        field_manager="two",
        force_conflicts=True,
    )
    events = configmaps.watch(
        namespace="default", resource_version=first.metadata.resourceVersion, timeout=1
    )
    seen = [(e["type"], e["raw_object"]["data"]["k"]) for e in events]
    assert seen == [("MODIFIED", "2")]


def test_watch_too_old_resource_version_is_410(tmp_path: Any) -> None:
    """A watch from a resourceVersion older than the event window ends with a 410 ERROR event."""
    from gitops_ocm.localkube import kubeconfig, server

    backing = store.Store(history=2)
    with server.ApiServer(backing) as api:
        path = kubeconfig.write(tmp_path / "kc", api.url)
        core = kubernetes.client.CoreV1Api(kubernetes.config.new_client_from_config(str(path)))
        first = core.create_namespaced_config_map("default", cm("a"))
        for value in "123":
            core.patch_namespaced_config_map("a", "default", {"data": {"k": value}})
        watcher = kubernetes.watch.Watch()
        stream = watcher.stream(
            core.list_namespaced_config_map,
            "default",
            resource_version=first.metadata.resource_version,
            timeout_seconds=1,
        )
        with pytest.raises(kubernetes.client.ApiException) as caught:
            list(stream)
    assert caught.value.status == 410


CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "hostile"
BOMB = (CORPUS / "alias-bomb.yaml").read_bytes()  # a billion laughs


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (BOMB, "application/apply-patch+yaml"),
        (b"a: " + b"[" * 5_000 + b"]" * 5_000, "application/apply-patch+yaml"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ],
    ids=["apply-alias-bomb", "apply-deep-yaml", "deep-json"],
)
def test_hostile_bodies_are_bad_requests(
    localkube: LocalKube, body: bytes, content_type: str
) -> None:
    """An alias bomb or deep nesting in a request body is a 400, and the server carries on."""
    path = f"{CM_PATH}/x?fieldManager=t" if "apply" in content_type else CM_PATH
    method = "PATCH" if "apply" in content_type else "POST"
    code, answer = http(localkube, method, path, body, content_type)
    assert code == 400, answer
    assert answer["reason"] == "BadRequest"
    assert http(localkube, "GET", CM_PATH)[0] == 200
