"""The exception tree of gitops-ocm, and the exit code each class maps to.

Pure: no I/O. Every loop maps these classes to one policy in one place::

    GitopsOcmError                 exit 3 (runtime failure)
    ├── InvalidInput               exit 1: report, keep the last good state, wait for a new commit
    │   └── NotFound               exit 2: a named path, repository or revision does not exist
    ├── Transient                  exit 3: back off with jitter and retry
    │   └── RefConflict            a compare-and-swap lost the race: re-read, recompute, retry
    ├── Waiting                    exit 3: nothing wrong, requeue later
    └── UsageError                 exit 2: the command line itself is wrong

Messages never carry credentials; the I/O packages strip them before raising.
"""

from __future__ import annotations


class GitopsOcmError(Exception):
    """Base class of every error gitops-ocm raises on purpose."""

    exit_code = 3


class InvalidInput(GitopsOcmError):
    """The input (a commit, a file, a document) is wrong; retrying will not help."""

    exit_code = 1


class NotFound(InvalidInput):
    """A path, repository, revision or branch the command line names does not exist.

    Still invalid input to a loop (report, wait), but to a command it is a usage
    mistake: every command exits 2 for it, whichever names the missing thing.
    """

    exit_code = 2


class Transient(GitopsOcmError):
    """A passing failure (network, lock, remote down): retry with back-off."""

    exit_code = 3


class RefConflict(Transient):
    """A ref moved under us: the compare-and-swap failed."""


class Waiting(GitopsOcmError):
    """Nothing is wrong, but the work cannot go on yet (requeue later)."""

    exit_code = 3


class UsageError(GitopsOcmError):
    """The command line is wrong."""

    exit_code = 2
