"""``registrations/<cluster>.yaml`` on ``ocm/status``: each cluster's key requests and their state.

Pure. A record holds the latest verified registration request of a cluster
(the key it presents, when the controller first saw it, the commit), its
state, the requests it replaced, and the last report commit folded for the
cluster (``lastReportCommit``: a restarted controller still refuses a
rewound branch, T624). States, recomputed every pass from the key
``ocm/hub`` accepts:

- ``Accepted``: main accepts this key;
- ``Superseded``: main accepted it once and no longer does (revoked, or
  replaced by a rotation);
- ``Pending``: never accepted; a person may accept it (``gitops-ocm accept``).

The README lists the pending requests (:func:`readme_section`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from gitops_ocm.model import yamlout
from gitops_ocm.trust import keys

FOLDER = "registrations"
API_VERSION = "gitops-ocm.io/v1alpha1"
KIND = "ClusterRegistration"
PENDING, ACCEPTED, SUPERSEDED = "Pending", "Accepted", "Superseded"
MAX_EARLIER = 5  # replaced requests a record keeps


@dataclasses.dataclass(frozen=True)
class Request:
    """One verified registration request: the key, its commit, when it was first seen."""

    fingerprint: str
    public_key: str
    requested_at: str
    commit: str
    state: str = PENDING
    sealing_key: str = ""  # the x25519 line the request offers (docs/security.md)


@dataclasses.dataclass(frozen=True)
class Record:
    """A cluster's registration record: its latest request, the earlier ones, its last report."""

    cluster: str
    request: Request
    earlier: tuple[Request, ...] = ()
    last_report_commit: str | None = None
    last_report_fingerprint: str | None = None


def path(cluster: str) -> str:
    """The record's path in ``ocm/status``."""
    return f"{FOLDER}/{cluster}.yaml"


def requested(
    old: Record | None,
    cluster: str,
    key: keys.PublicKey,
    commit: str,
    seen: str,
    sealing: str = "",
) -> Record:
    """The record after a verified request with ``key`` (unchanged for the same keys).

    ``sealing`` is the sealing key line the request offers ("" none).
    """
    if old is not None and old.request.fingerprint == key.fingerprint:
        return _sealing(old, key, sealing)
    new = Request(
        key.fingerprint, keys.PublicKey(key.blob).to_line(), seen, commit, sealing_key=sealing
    )
    if old is None:
        return Record(cluster, new)
    earlier = (old.request, *old.earlier)[:MAX_EARLIER]
    return dataclasses.replace(old, request=new, earlier=earlier)


def reported(
    old: Record | None,
    cluster: str,
    key: keys.PublicKey,
    commit: str,
    seen: str,
    sealing: str = "",
) -> Record:
    """The record after folding a report ``commit`` signed by the accepted ``key``.

    The report's sealing key (vouched for by the accepted key) replaces the
    request's, so an agent that makes its sealing key later is heard too.
    """
    record = requested(old, cluster, key, commit, seen, sealing) if old is None else old
    record = _sealing(record, key, sealing)
    return dataclasses.replace(
        record, last_report_commit=commit, last_report_fingerprint=key.fingerprint
    )


def _sealing(record: Record, key: keys.PublicKey, sealing: str) -> Record:
    """The record with ``sealing`` as its latest request's sealing key, when that is ``key``'s."""
    request = record.request
    if not sealing or request.fingerprint != key.fingerprint or request.sealing_key == sealing:
        return record
    return dataclasses.replace(record, request=dataclasses.replace(request, sealing_key=sealing))


def settled(record: Record, accepted: str | None) -> Record:
    """The record with each request's state for the fingerprint main accepts (None: none)."""
    request = _settle(record.request, accepted)
    earlier = tuple(_settle(item, accepted) for item in record.earlier)
    if request == record.request and earlier == record.earlier:
        return record  # the usual case: nothing moved, the same object
    return dataclasses.replace(record, request=request, earlier=earlier)


def retired(record: Record | None, accepted: str | None) -> frozenset[str]:
    """The fingerprints accepted once for the cluster and not now (revoked or rotated away)."""
    if record is None:
        return frozenset()
    once = {item.fingerprint for item in (record.request, *record.earlier) if item.state != PENDING}
    if record.last_report_fingerprint is not None:
        once.add(record.last_report_fingerprint)
    return frozenset(once - {accepted})


def _settle(item: Request, accepted: str | None) -> Request:
    if item.fingerprint == accepted:
        state = ACCEPTED
    elif item.state in (ACCEPTED, SUPERSEDED):
        state = SUPERSEDED
    else:
        state = PENDING
    return item if item.state == state else dataclasses.replace(item, state=state)


def to_yaml(record: Record) -> bytes:
    """The record's file (the fields flat, as the render side reads them), byte-identical."""
    body: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": record.cluster},
        "cluster": record.cluster,
        **_earlier(record.request),
    }
    if record.last_report_commit is not None:
        body["lastReportCommit"] = record.last_report_commit
        body["lastReportFingerprint"] = record.last_report_fingerprint
    if record.earlier:
        body["earlierRequests"] = [_earlier(item) for item in record.earlier]
    return yamlout.dump(body)


def _earlier(item: Request) -> dict[str, str]:
    out = {
        "fingerprint": item.fingerprint,
        "publicKey": item.public_key,
        "requestedAt": item.requested_at,
        "commit": item.commit,
        "state": item.state,
    }
    if item.sealing_key:
        out["sealingKey"] = item.sealing_key
    return out


def from_yaml(cluster: str, data: bytes) -> Record | None:
    """Read a record back (None: unreadable or not a record of ``cluster``; it starts again)."""
    body = yamlout.load_mapping(data)
    if body.get("kind") != KIND or body.get("cluster") != cluster:
        return None
    request = _request(body)
    if request is None:
        return None
    earlier = [_request(_mapping(item)) for item in _list(body.get("earlierRequests"))]
    last = body.get("lastReportCommit")
    last_key = body.get("lastReportFingerprint")
    return Record(
        cluster,
        request,
        tuple(item for item in earlier if item is not None)[:MAX_EARLIER],
        str(last) if isinstance(last, str) else None,
        str(last_key) if isinstance(last_key, str) else None,
    )


def _request(fields: Mapping[str, Any]) -> Request | None:
    names = ("fingerprint", "publicKey", "requestedAt", "commit", "state")
    values = [fields.get(name) for name in names]
    if not all(isinstance(value, str) for value in values):
        return None
    sealing = fields.get("sealingKey")
    fingerprint, public, at, commit, state = (str(value) for value in values)
    return Request(fingerprint, public, at, commit, state, str(sealing) if sealing else "")


def read_all(files: Mapping[str, bytes]) -> list[Record]:
    """The records among ``files`` (path -> content; other paths ignored), by cluster."""
    out = []
    for name in sorted(files):
        folder, _, rest = name.partition("/")
        if folder == FOLDER and rest.endswith(".yaml") and "/" not in rest:
            found = from_yaml(rest.removesuffix(".yaml"), files[name])
            if found is not None:
                out.append(found)
    return out


def pending_rows(records: Iterable[Record]) -> list[dict[str, str]]:
    """The pending requests as rows (``status --pending``): cluster, key, when, commit."""
    return [
        {
            "cluster": record.cluster,
            "fingerprint": record.request.fingerprint,
            "requestedAt": record.request.requested_at,
            "commit": record.request.commit,
            "publicKey": record.request.public_key,
        }
        for record in pending(records)
    ]


def pending(records: Iterable[Record]) -> list[Record]:
    """The records whose latest request waits for a person, by cluster."""
    return sorted((r for r in records if r.request.state == PENDING), key=lambda r: r.cluster)


def readme_section(records: Iterable[Record], awaiting: Iterable[str]) -> str:
    """The README's "Registrations" and "Awaiting agent" sections."""
    waiting = pending(records)
    lines = ["## Registrations", ""]
    if not waiting:
        lines.append("No pending registration request.")
    else:
        lines.append(
            f"{len(waiting)} pending (accept with `gitops-ocm accept NAME` and a commit on main):"
        )
        lines.append("")
        lines.append("| Cluster | Key fingerprint | Requested | Commit |")
        lines.append("|---|---|---|---|")
        for record in waiting:
            item = record.request
            lines.append(
                f"| {record.cluster} | `{item.fingerprint}` | {item.requested_at} "
                f"| `{item.commit[:12]}` |"
            )
    names = sorted(set(awaiting))
    if names:
        lines += ["", "## Awaiting agent", ""]
        lines.append("Accepted on main, no accepted agent key yet (nothing is sent to them):")
        lines.append("")
        lines.extend(f"- {name}" for name in names)
    return "\n".join(lines) + "\n"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
