"""What each REST request does to the Store: the verbs of the Kubernetes API, minus the HTTP.

Mostly pure translation (query parameters and bodies in, status code and document
out); the Store does the work. ``server`` owns sockets and streaming; this module
decides what to answer, so it can be read and tested without a socket.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import routes, selectors, store
from gitops_ocm.model.body import Body


@dataclasses.dataclass(frozen=True)
class Request:
    """One REST request, parsed: method, route, query (first values) and decoded body."""

    method: str
    route: routes.Route
    query: dict[str, str]
    body: Any
    content_type: str
    user_agent: str

    def flag(self, name: str) -> bool:
        """Return whether a boolean query parameter is set to true."""
        return self.query.get(name, "").lower() in ("true", "1")

    @property
    def dry_run(self) -> bool:
        """Return whether the request asks for a dry run."""
        return self.query.get("dryRun") == "All"

    @property
    def manager(self) -> str:
        """Return the field manager: the parameter, else the user agent's product name."""
        return self.query.get("fieldManager") or self.user_agent.split("/")[0] or "unknown"

    def selectors(self) -> store.Selectors:
        """Return the parsed label and field selectors."""
        return (
            selectors.parse_labels(self.query.get("labelSelector", "")),
            selectors.parse_fields(self.query.get("fieldSelector", "")),
        )


@dataclasses.dataclass(frozen=True)
class Watch:
    """A watch to stream: the events and whether to end with a bookmark."""

    events: Iterator[tuple[str, Body]]
    bookmarks: bool


Answer = tuple[int, Body] | Watch


def handle(db: store.Store, request: Request) -> Answer:
    """Answer one resource request."""
    route = request.route
    if route.subresource and (route.subresource != "status" or not route.resource.status):
        raise cluster.NotFound("the server could not find the requested resource")
    if route.namespace is None and route.resource.namespaced and request.method != "GET":
        raise cluster.MethodNotAllowed(
            f"{request.method} needs a namespace for {route.resource.plural}"
        )
    verb = getattr(
        _Verbs, f"{request.method.lower()}_{'item' if route.name else 'collection'}", None
    )
    if verb is None:
        raise cluster.MethodNotAllowed(
            f"the server does not allow this method on {route.resource.plural}"
        )
    answer: Answer = verb(db, request)
    return answer


def _ns(route: routes.Route) -> str:
    return route.namespace or ""


class _Verbs:
    """One static method per (HTTP method, item or collection)."""

    @staticmethod
    def get_item(db: store.Store, req: Request) -> Answer:
        return 200, db.get(req.route.resource, _ns(req.route), req.route.name)

    @staticmethod
    def get_collection(db: store.Store, req: Request) -> Answer:
        res, sel = req.route.resource, req.selectors()
        if req.flag("watch"):
            timeout = float(req.query.get("timeoutSeconds") or 1800)
            events = db.watch(
                res,
                req.route.namespace,
                resource_version=req.query.get("resourceVersion", ""),
                sel=sel,
                timeout=timeout,
            )
            return Watch(events, req.flag("allowWatchBookmarks"))
        items, rv = db.list_objects(res, req.route.namespace, sel)
        return 200, list_document(res.list_kind_name(), res.api_version, items, rv)

    @staticmethod
    def post_collection(db: store.Store, req: Request) -> Answer:
        created = db.create(
            req.route.resource, _ns(req.route), req.body, manager=req.manager, dry_run=req.dry_run
        )
        return 201, created

    @staticmethod
    def put_item(db: store.Store, req: Request) -> Answer:
        if not isinstance(req.body, dict):
            raise cluster.BadRequest("the request body must be an object")
        replaced = db.replace(
            req.route.resource,
            _ns(req.route),
            req.route.name,
            req.body,
            manager=req.manager,
            subresource=req.route.subresource,
            dry_run=req.dry_run,
        )
        return 200, replaced

    @staticmethod
    def patch_item(db: store.Store, req: Request) -> Answer:
        patched, created = db.patch(
            req.route.resource,
            _ns(req.route),
            req.route.name,
            req.content_type,
            req.body,
            manager=req.query.get("fieldManager", "")
            if "apply" in req.content_type
            else req.manager,
            force=req.flag("force"),
            subresource=req.route.subresource,
            dry_run=req.dry_run,
        )
        return (201 if created else 200), patched

    @staticmethod
    def delete_item(db: store.Store, req: Request) -> Answer:
        options = req.body if isinstance(req.body, dict) else {}
        res = req.route.resource
        last, gone = db.delete(
            res,
            _ns(req.route),
            req.route.name,
            propagation=_propagation(req, options),
            preconditions=options.get("preconditions"),
            dry_run=req.dry_run or options.get("dryRun") == ["All"],
        )
        if not gone or res.custom:
            return 200, last
        details = {"name": req.route.name, "group": res.group, "kind": res.plural}
        details["uid"] = last["metadata"]["uid"]
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}} | {
            "status": "Success",
            "details": details,
        }

    @staticmethod
    def delete_collection(db: store.Store, req: Request) -> Answer:
        options = req.body if isinstance(req.body, dict) else {}
        res = req.route.resource
        gone = db.delete_collection(
            res, req.route.namespace, req.selectors(), _propagation(req, options)
        )
        return 200, list_document(res.list_kind_name(), res.api_version, gone, str(db.rv))


def _propagation(req: Request, options: Body) -> str:
    if options.get("orphanDependents") is True or req.query.get("orphanDependents") == "true":
        return "Orphan"
    return str(
        options.get("propagationPolicy") or req.query.get("propagationPolicy") or "Background"
    )


def list_document(kind: str, api_version: str, items: list[Body], rv: str) -> Body:
    """Return a list object as the API server sends it."""
    return {
        "kind": kind,
        "apiVersion": api_version,
        "metadata": {"resourceVersion": rv},
        "items": items,
    }


def bookmark(res_kind: str, api_version: str, rv: int) -> Body:
    """Return a BOOKMARK event carrying only a resourceVersion."""
    obj = {"kind": res_kind, "apiVersion": api_version, "metadata": {"resourceVersion": str(rv)}}
    return {"type": "BOOKMARK", "object": obj}
