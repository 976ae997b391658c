"""The Cluster interface the agent uses, and the API errors every implementation raises.

Pure: a Protocol, frozen data and exception classes. Both implementations (the
official client in ``client`` and the in-memory cluster in ``localkube.memory``) raise these
errors, translated from HTTP status codes or raised directly, so callers never see a
library's exception. The tree, under gitops-ocm's own classes::

    ApiError (GitopsOcmError)          any failure the API reports as a Status
    ├── BadRequest      400            malformed request (InvalidInput)
    ├── Forbidden       403            e.g. a namespace is terminating
    ├── NotFound        404
    ├── MethodNotAllowed 405
    ├── UnsupportedMediaType 415       e.g. strategic merge on a custom resource
    ├── AlreadyExists   409            create of an existing name
    ├── Conflict        409            resourceVersion mismatch or apply conflict (Transient)
    ├── Gone            410            a watch resourceVersion is too old (Transient)
    ├── Invalid         422            the object fails validation (InvalidInput)
    └── Unavailable     5xx            server trouble (Transient)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Protocol

from gitops_ocm import errors
from gitops_ocm.model.body import Body


class ApiError(errors.GitopsOcmError):
    """A failure reported by the Kubernetes API, carrying its HTTP code and reason."""

    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, details: Body | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_status(self) -> Body:
        """Return the ``Status`` object the API server sends for this error."""
        status: Body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            status["details"] = self.details
        return status


class BadRequest(ApiError, errors.InvalidInput):
    """The request itself is malformed (400)."""

    code, reason = 400, "BadRequest"


class Forbidden(ApiError):
    """The request is refused (403), e.g. creating in a terminating namespace."""

    code, reason = 403, "Forbidden"


class NotFound(ApiError):
    """The object or resource does not exist (404)."""

    code, reason = 404, "NotFound"


class MethodNotAllowed(ApiError):
    """The verb is not supported on this path (405)."""

    code, reason = 405, "MethodNotAllowed"


class UnsupportedMediaType(ApiError):
    """The request body's content type is not accepted here (415)."""

    code, reason = 415, "UnsupportedMediaType"


class AlreadyExists(ApiError):
    """A create named an object that exists (409)."""

    code, reason = 409, "AlreadyExists"


class Conflict(ApiError, errors.Transient):
    """Optimistic concurrency or a server-side apply conflict (409): re-read and retry."""

    code, reason = 409, "Conflict"


class Gone(ApiError, errors.Transient):
    """A watch asked for a resourceVersion older than the server keeps (410)."""

    code, reason = 410, "Expired"


class Invalid(ApiError, errors.InvalidInput):
    """The object fails validation (422)."""

    code, reason = 422, "Invalid"


class Unavailable(ApiError, errors.Transient):
    """The server failed or could not be reached (5xx)."""

    code, reason = 503, "ServiceUnavailable"


_BY_REASON: dict[str, type[ApiError]] = {
    cls.reason: cls
    for cls in (BadRequest, Forbidden, NotFound, MethodNotAllowed, AlreadyExists, Conflict)
}
_BY_REASON |= {cls.reason: cls for cls in (Gone, Invalid, Unavailable, UnsupportedMediaType)}
_BY_CODE: dict[int, type[ApiError]] = {
    400: BadRequest,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    410: Gone,
    415: UnsupportedMediaType,
    422: Invalid,
}


def error_from_status(code: int, status: Body | None, fallback: str = "") -> ApiError:
    """Translate an HTTP code and its ``Status`` body (if any) into our error class."""
    status = status if isinstance(status, dict) else {}
    reason = str(status.get("reason", ""))
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code) or (Unavailable if code >= 500 else ApiError)
    message = str(status.get("message") or fallback or f"HTTP {code}")
    details = status.get("details")
    return cls(message, details=details if isinstance(details, dict) else None)


@dataclasses.dataclass(frozen=True)
class ResourceInfo:
    """What a client needs to address a kind: its plural and whether it is namespaced."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool


class Cluster(Protocol):
    """One Kubernetes cluster as the agent sees it. Objects are plain dicts."""

    def apply(self, obj: Body, *, field_manager: str, force: bool = False) -> Body:
        """Server-side apply ``obj`` as ``field_manager``; raise Conflict unless ``force``."""
        ...

    def create(self, obj: Body) -> Body:
        """Create ``obj``; raise AlreadyExists if its name is taken."""
        ...

    def update(self, obj: Body) -> Body:
        """Replace ``obj`` (PUT); a resourceVersion in it is a precondition."""
        ...

    def update_status(self, obj: Body) -> Body:
        """Replace the status subresource of ``obj``."""
        ...

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Body | None:
        """Return the object, or None if it does not exist."""
        ...

    def list(
        self,
        api_version: str,
        kind: str,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
    ) -> list[Body]:
        """Return the objects of a kind (all namespaces when ``namespace`` is None)."""
        ...

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
        """Delete an object; return False if it was already gone. ``uid`` is a precondition."""
        ...

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
        """Yield ``{"type": ..., "object": ...}`` events until ``timeout`` seconds pass."""
        ...

    def server_version(self) -> str:
        """Return the server's gitVersion, e.g. ``v1.37.0``."""
        ...

    def resource_for(self, api_version: str, kind: str) -> ResourceInfo | None:
        """Return how to address a kind, or None if the server does not serve it."""
        ...
