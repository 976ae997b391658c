"""The Cluster over the official ``kubernetes`` client: real clusters and the local API server.

I/O. The only module that imports ``kubernetes`` (it has no type stubs, so values
from it are ``Any`` here). It uses the DynamicClient, so any served kind works,
and translates ``ApiException`` into the errors of ``cluster`` (messages carry the
server's Status message, never credentials). A server that does not answer
(refused, reset, timed out: urllib3's errors) is ``cluster.Unavailable``, also
at start: discovery waits for the first request, so an agent whose API server is
down still starts and reports ``ManagedClusterKubeAPIServerUnavailable``. A
kubeconfig that cannot be read is ``errors.NotFound``; one that is not a valid
kubeconfig is ``errors.InvalidInput``.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes as _kubernetes
import urllib3
import yaml
from kubernetes.dynamic import exceptions as dynamic_errors

from gitops_ocm import errors
from gitops_ocm.kube import cluster
from gitops_ocm.model import yamlout
from gitops_ocm.model.body import Body

kubernetes: Any = _kubernetes  # the library has no type stubs
# urllib3 logs a warning per retry of a refused connection; we report the failure once.
logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)


def _translate(exc: Exception) -> cluster.ApiError:
    status = getattr(exc, "status", None) or 500
    body = getattr(exc, "body", None)
    parsed: Any = None
    if body:
        with contextlib.suppress(ValueError, TypeError):
            parsed = json.loads(body)
    return cluster.error_from_status(int(status), parsed, str(getattr(exc, "reason", "")))


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except kubernetes.client.exceptions.ApiException as exc:
        raise _translate(exc) from exc
    except dynamic_errors.DynamicApiError as exc:
        raise _translate(exc) from exc
    except kubernetes.client.exceptions.OpenApiException as exc:
        raise cluster.Unavailable(f"kubernetes client error: {type(exc).__name__}") from exc
    except OSError as exc:
        raise cluster.Unavailable(f"cannot reach the API server: {type(exc).__name__}") from exc
    except urllib3.exceptions.HTTPError as exc:
        raise cluster.Unavailable(f"cannot reach the API server: {_cause(exc)}") from exc


def _cause(exc: urllib3.exceptions.HTTPError) -> str:
    """The root of a urllib3 failure in a few words (no URL: it may carry credentials)."""
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return "connection refused" if "refused" in str(reason).lower() else "cannot connect"
    return type(reason).__name__


def _read_kubeconfig(path: str) -> None:
    """Fail with one line when ``path`` is not a readable kubeconfig file."""
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        detail = getattr(exc, "strerror", None) or type(exc).__name__
        raise errors.NotFound(f"cannot read kubeconfig {path}: {detail}") from exc
    try:  # within the limits of every YAML file (an alias bomb stops here, not in the client)
        body = yamlout.load(text)
    except yamlout.Unreadable as exc:
        raise errors.InvalidInput(f"kubeconfig {path} is not YAML: {exc.message}") from exc
    if not isinstance(body, dict) or not body.get("clusters"):
        raise errors.InvalidInput(f"kubeconfig {path} has no clusters")


def _first(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


class KubernetesCluster:
    """A Cluster reached through the official client's DynamicClient."""

    def __init__(self, api_client: Any, *, cache_file: str | None = None) -> None:
        self._api = api_client
        self._cache_file = cache_file
        self._client: Any = None

    @property
    def _dynamic(self) -> Any:
        """The DynamicClient, made on first use (its discovery needs the server)."""
        if self._client is None:
            with _translated():
                self._client = kubernetes.dynamic.DynamicClient(
                    self._api, cache_file=self._cache_file
                )
        return self._client

    @classmethod
    def from_kubeconfig(
        cls, path: str | None = None, *, context: str | None = None, cache_file: str | None = None
    ) -> KubernetesCluster:
        """Connect with a kubeconfig file (the default search path when ``path`` is None)."""
        if path is not None:
            _read_kubeconfig(path)
        try:
            api = kubernetes.config.new_client_from_config(config_file=path, context=context)
        except (kubernetes.config.ConfigException, yaml.YAMLError, ValueError) as exc:
            raise errors.InvalidInput(
                f"invalid kubeconfig {path or '(default)'}: {_first(exc)}"
            ) from exc
        return cls(api, cache_file=cache_file)

    @classmethod
    def in_cluster(cls) -> KubernetesCluster:
        """Connect with the pod's service account."""
        configuration = kubernetes.client.Configuration()
        try:
            kubernetes.config.load_incluster_config(client_configuration=configuration)
        except kubernetes.config.ConfigException as exc:
            raise errors.InvalidInput(f"no in-cluster configuration: {_first(exc)}") from exc
        return cls(kubernetes.client.ApiClient(configuration))

    def _resource(self, api_version: str, kind: str) -> Any:
        with _translated():
            try:
                return self._dynamic.resources.get(api_version=api_version, kind=kind)
            except dynamic_errors.ResourceNotFoundError:
                self._dynamic.resources.invalidate_cache()
            try:
                return self._dynamic.resources.get(api_version=api_version, kind=kind)
            except dynamic_errors.ResourceNotFoundError as exc:
                raise cluster.NotFound(
                    f"the server does not serve {kind} in {api_version}"
                ) from exc

    def _target(self, obj: Body) -> tuple[Any, str | None, str]:
        resource = self._resource(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        meta = obj.get("metadata") or {}
        namespace = (meta.get("namespace") or "default") if resource.namespaced else None
        return resource, namespace, str(meta.get("name", ""))

    def apply(self, obj: Body, *, field_manager: str, force: bool = False) -> Body:
        """Server-side apply ``obj``."""
        resource, namespace, name = self._target(obj)
        with _translated():
            dynamic: Any = self._dynamic
            result = dynamic.server_side_apply(
                resource,
                body=obj,
                name=name,
                namespace=namespace,
                field_manager=field_manager,
                force_conflicts=force,
            )
        self._after_write(str(obj.get("kind")))
        return dict(result.to_dict())

    def create(self, obj: Body) -> Body:
        """Create ``obj``."""
        resource, namespace, _ = self._target(obj)
        with _translated():
            created = dict(resource.create(body=obj, namespace=namespace).to_dict())
        self._after_write(str(obj.get("kind")))
        return created

    def update(self, obj: Body) -> Body:
        """Replace ``obj`` (PUT)."""
        resource, namespace, name = self._target(obj)
        with _translated():
            return dict(resource.replace(body=obj, name=name, namespace=namespace).to_dict())

    def update_status(self, obj: Body) -> Body:
        """Replace the status of ``obj``."""
        resource, namespace, name = self._target(obj)
        with _translated():
            status = resource.subresources.get("status")
            if status is None:
                raise cluster.NotFound(f"{resource.name} has no status subresource")
            return dict(status.replace(body=obj, name=name, namespace=namespace).to_dict())

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Body | None:
        """Return the object, or None."""
        resource = self._resource(api_version, kind)
        ns = (namespace or "default") if resource.namespaced else None
        try:
            with _translated():
                return dict(resource.get(name=name, namespace=ns).to_dict())
        except cluster.NotFound:
            return None

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> list[Body]:
        """Return the objects of a kind."""
        resource = self._resource(api_version, kind)
        with _translated():
            result = resource.get(
                namespace=namespace if resource.namespaced else None,
                label_selector=label_selector or None,
                field_selector=field_selector or None,
            )
        return [dict(item) for item in result.to_dict().get("items") or []]

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation: str = "Background",
        uid: str | None = None,
    ) -> bool:
        """Delete an object; False if it was already gone."""
        resource = self._resource(api_version, kind)
        body: Body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
        if uid:
            body["preconditions"] = {"uid": uid}
        ns = (namespace or "default") if resource.namespaced else None
        try:
            with _translated():
                resource.delete(name=name, namespace=ns, body=body)
        except cluster.NotFound:
            return False
        finally:
            self._after_write(kind)
        return True

    def _after_write(self, kind: str) -> None:
        """Forget cached discovery when the served kinds may have changed (a CRD was written)."""
        if kind == "CustomResourceDefinition":
            self._dynamic.resources.invalidate_cache()

    def watch(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        *,
        resource_version: str = "",
        label_selector: str = "",
        field_selector: str = "",
        timeout: float = 5.0,
    ) -> Iterator[Body]:
        """Yield watch events until ``timeout``."""
        resource = self._resource(api_version, kind)
        stream = resource.watch(
            namespace=namespace if resource.namespaced else None,
            label_selector=label_selector or None,
            field_selector=field_selector or None,
            resource_version=resource_version or None,
            timeout=max(1, round(timeout)),
        )
        with _translated():
            for event in stream:
                yield {"type": event["type"], "object": event["raw_object"]}

    def server_version(self) -> str:
        """Return the server's gitVersion."""
        with _translated():
            info = kubernetes.client.VersionApi(self._api).get_code()
        return str(info.git_version)

    def resource_for(self, api_version: str, kind: str) -> cluster.ResourceInfo | None:
        """Return how to address a kind, or None."""
        try:
            resource = self._resource(api_version, kind)
        except cluster.NotFound:
            return None
        return cluster.ResourceInfo(api_version, kind, resource.name, bool(resource.namespaced))
