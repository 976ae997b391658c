"""The in-memory Cluster: the agent's interface over a Store, in-process, for tests and benchmarks.

I/O shell in the sense that it holds mutable state (the Store); no network. The
same Store can be served over HTTP by ``server`` at the same time, so a test can
write in-process and read through ``kubectl``.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import objects, patch, resources, selectors, store
from gitops_ocm.model.body import Body

SERVER_VERSION = "v1.37.0-localkube"


class MemoryCluster:
    """A Cluster backed by a Store in this process."""

    def __init__(self, backing: store.Store | None = None, *, manager: str = "gitops-ocm") -> None:
        self.store = backing if backing is not None else store.Store()
        self._manager = manager

    def _resource(self, api_version: str, kind: str) -> resources.Resource:
        res = self.store.registry.for_kind(api_version, kind)
        if res is None:
            raise cluster.NotFound(f"the server does not serve {kind} in {api_version}")
        return res

    def _target(self, obj: Body) -> tuple[resources.Resource, str, str]:
        res = self._resource(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        meta = obj.get("metadata") or {}
        namespace = str(meta.get("namespace") or "default") if res.namespaced else ""
        return res, namespace, str(meta.get("name", ""))

    def apply(self, obj: Body, *, field_manager: str, force: bool = False) -> Body:
        """Server-side apply ``obj``."""
        res, namespace, name = self._target(obj)
        body = obj
        if res.namespaced:
            body = {**obj, "metadata": {**(obj.get("metadata") or {}), "namespace": namespace}}
        result, _ = self.store.patch(
            res, namespace, name, patch.APPLY_YAML, body, manager=field_manager, force=force
        )
        return result

    def create(self, obj: Body) -> Body:
        """Create ``obj``."""
        res, namespace, _ = self._target(obj)
        return self.store.create(res, namespace, obj, manager=self._manager)

    def update(self, obj: Body) -> Body:
        """Replace ``obj`` (PUT)."""
        res, namespace, name = self._target(obj)
        return self.store.replace(res, namespace, name, obj, manager=self._manager)

    def update_status(self, obj: Body) -> Body:
        """Replace the status of ``obj``."""
        res, namespace, name = self._target(obj)
        if not res.status:
            raise cluster.NotFound(f"{res.plural} has no status subresource")
        return self.store.replace(
            res, namespace, name, obj, manager=self._manager, subresource="status"
        )

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Body | None:
        """Return the object, or None."""
        res = self._resource(api_version, kind)
        try:
            return self.store.get(res, (namespace or "default") if res.namespaced else "", name)
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
        res = self._resource(api_version, kind)
        sel = (selectors.parse_labels(label_selector), selectors.parse_fields(field_selector))
        items, _ = self.store.list_objects(res, namespace if res.namespaced else None, sel)
        return items

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
        res = self._resource(api_version, kind)
        ns = (namespace or "default") if res.namespaced else ""
        try:
            self.store.delete(
                res, ns, name, propagation=propagation, preconditions={"uid": uid} if uid else None
            )
        except cluster.NotFound:
            return False
        return True

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
        res = self._resource(api_version, kind)
        sel = (selectors.parse_labels(label_selector), selectors.parse_fields(field_selector))
        events = self.store.watch(
            res, namespace, resource_version=resource_version, sel=sel, timeout=timeout
        )
        for kind_of_event, obj in events:
            yield {"type": kind_of_event, "object": obj}

    def server_version(self) -> str:
        """Return the gitVersion this cluster reports."""
        return SERVER_VERSION

    def resource_for(self, api_version: str, kind: str) -> cluster.ResourceInfo | None:
        """Return how to address a kind, or None."""
        res = self.store.registry.for_kind(api_version, kind)
        if res is None:
            return None
        return cluster.ResourceInfo(res.api_version, res.kind, res.plural, res.namespaced)


__all__ = ["SERVER_VERSION", "MemoryCluster", "objects"]
