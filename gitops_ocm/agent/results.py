"""What one agent pass did, and each kind of failure it can report, as types.

Pure: frozen data, no I/O. A failure is one frozen dataclass per kind; its
class attribute ``error`` names the class of :mod:`gitops_ocm.errors` it stands
for, so the ``--once`` exit code comes from the error class as everywhere else:

- ``InvalidInput`` (exit 1): :class:`WorkFailure` (a work or one of its
  manifests), :class:`InventoryFailure` (AppliedManifestWorks), :class:`PruneFailure`
  (a resource that left a work stays), and governance's ``PolicyFailure`` and
  ``TemplatePruneFailure``;
- ``Transient`` (exit 3): :class:`ApiServerUnavailable`, :class:`GitUnreachable`;
- ``InvalidInput`` (exit 1) too: :class:`HubRefused` (an ``ocm/hub`` tip that
  did not verify; the last verified prescriptions were used);
- ``Waiting`` (exit 3): :class:`Waiting` (the hub branch is not published yet),
  :class:`Registering` (not accepted yet: only the registration request is reported).

``str()`` of a failure is its line in the log.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from gitops_ocm import errors
from gitops_ocm.governance import runner as governance


@dataclasses.dataclass(frozen=True)
class WorkFailure:
    """A work, or one of its manifests (``manifest`` is its ordinal), failed; see its report."""

    error: ClassVar[type[errors.GitopsOcmError]] = errors.InvalidInput
    work: str
    manifest: int | None
    message: str

    def __str__(self) -> str:
        return f"work {self.work}: {self.message}"


@dataclasses.dataclass(frozen=True)
class InventoryFailure:
    """The AppliedManifestWorks could not be listed (``applied_work`` ""), or one retired."""

    error: ClassVar[type[errors.GitopsOcmError]] = errors.InvalidInput
    applied_work: str
    message: str

    def __str__(self) -> str:
        if not self.applied_work:
            return f"listing AppliedManifestWorks: {self.message}"
        return f"AppliedManifestWork {self.applied_work}: {self.message}"


@dataclasses.dataclass(frozen=True)
class PruneFailure:
    """A resource that left a work could not be deleted or disowned (it is tried again)."""

    error: ClassVar[type[errors.GitopsOcmError]] = errors.InvalidInput
    work: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"work {self.work}: cannot prune {self.resource}: {self.message}"


@dataclasses.dataclass(frozen=True)
class ApiServerUnavailable:
    """The cluster's API server did not answer (or its CRDs could not be installed)."""

    error: ClassVar[type[errors.GitopsOcmError]] = errors.Transient
    message: str

    def __str__(self) -> str:
        return f"cluster: {self.message}"


@dataclasses.dataclass(frozen=True)
class GitUnreachable:
    """The hub repository could not be fetched or the report not pushed (redacted message)."""

    error: ClassVar[type[errors.GitopsOcmError]] = errors.Transient
    message: str

    def __str__(self) -> str:
        return self.message


@dataclasses.dataclass(frozen=True)
class Waiting:
    """Nothing is wrong, but the report waits (the hub branch is not published yet)."""

    error: ClassVar[type[errors.GitopsOcmError]] = errors.Waiting
    reason: str

    def __str__(self) -> str:
        return f"waiting: {self.reason}"


@dataclasses.dataclass(frozen=True)
class HubRefused:
    """An ``ocm/hub`` tip was refused (T631-T633): the last verified prescriptions were kept."""

    error: ClassVar[type[errors.GitopsOcmError]] = errors.InvalidInput
    code: str
    commit: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} refused hub commit {self.commit}: {self.message}"


@dataclasses.dataclass(frozen=True)
class Registering:
    """The cluster is not accepted yet: the report holds only the registration request."""

    error: ClassVar[type[errors.GitopsOcmError]] = errors.Waiting
    fingerprint: str

    def __str__(self) -> str:
        return f"registering: not accepted yet; registration request for key {self.fingerprint}"


Failure = (
    WorkFailure
    | InventoryFailure
    | PruneFailure
    | governance.PolicyFailure
    | governance.TemplatePruneFailure
    | ApiServerUnavailable
    | GitUnreachable
    | Waiting
    | HubRefused
    | Registering
)
_HOLDING = (GitUnreachable, Waiting)
_NOT_ERRORS = (GitUnreachable, Waiting, Registering)


@dataclasses.dataclass(frozen=True)
class PassResult:
    """What one pass did, for the log line and the exit code."""

    hub_commit: str | None = None
    source_commit: str | None = None
    from_disk: bool = False
    works: int = 0
    written: int = 0
    pruned: int = 0
    deleted: int = 0
    policies: int = 0
    failures: tuple[Failure, ...] = ()
    report_commit: str | None = None
    report_created: bool = False
    pushed: bool = False
    pinned: str = ""
    took_ms: float = 0.0

    @property
    def errors(self) -> tuple[Failure, ...]:
        """The failures of works, policies and the cluster (not Git's, not waiting)."""
        return tuple(f for f in self.failures if not isinstance(f, _NOT_ERRORS))

    @property
    def held(self) -> tuple[GitUnreachable | Waiting, ...]:
        """Why the report did not land: Git unreachable, or waiting for the hub branch."""
        return tuple(f for f in self.failures if isinstance(f, _HOLDING))

    def exit_code(self) -> int:
        """The ``--once`` exit code: the highest of the failures' error classes (0: none)."""
        return max((f.error.exit_code for f in self.failures), default=0)

    def line(self, cluster: str) -> str:
        """One log line (no credentials: Git messages come redacted from the store)."""
        source = (self.source_commit or "-")[:12]
        where = "disk" if self.from_disk else "git"
        report = (self.report_commit or "-")[:12]
        state = ("new" if self.report_created else "same") + ("" if self.pushed else ", unpushed")
        text = (
            f"agent {cluster}: source {source} ({where}) works {self.works} "
            f"written {self.written} pruned {self.pruned} deleted {self.deleted} "
            f"policies {self.policies} "
            f"errors {len(self.errors)} report {report} ({state}) took {self.took_ms:.0f} ms"
        )
        problems = [str(p) for p in (*self.errors, *self.held, *self.registering)]
        if self.pinned:
            problems.append(f"pinned the hub key {self.pinned} in hub.pub: confirm it")
        return text + "".join(f"\n  {p}" for p in problems)

    @property
    def registering(self) -> tuple[Registering, ...]:
        """The registration request, while the cluster is not accepted."""
        return tuple(f for f in self.failures if isinstance(f, Registering))
