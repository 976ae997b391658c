"""Which files of a repository are desired state: ``.gitops-ocm.yaml`` and path rules.

Pure. A file is a candidate when its name ends in ``.yaml`` or ``.yml``, no part of
its path starts with a dot (``.github/``, ``.gitops-ocm.yaml``), and no ``exclude``
pattern of the optional ``.gitops-ocm.yaml`` at the root matches it. Names that
try path tricks (``..``, control characters, backslashes) are refused with S110.

The same file says how clusters register (``registration``, docs/architecture.md):
``keys`` (the default) publishes to an accepted cluster only once the hub knows
its agent's key; ``open`` also publishes to accepted clusters that name no key,
as before signed reports existed (labs, migration), with warning T626.

``secrets`` says how ``validate`` treats a plaintext ``Secret`` on main (M337,
docs/security.md): ``warn`` (the default) reports it as a warning,
``sealed-only`` as an error, so only ``SealedSecret``s can be merged.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from typing import Any

from gitops_ocm.model import yamlfile
from gitops_ocm.problems import Problem

CONFIG_FILE = ".gitops-ocm.yaml"
YAML_SUFFIXES = (".yaml", ".yml")
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\\]")
KEYS = "keys"
OPEN = "open"
REGISTRATION_MODES = (KEYS, OPEN)
WARN = "warn"
SEALED_ONLY = "sealed-only"
SECRETS_MODES = (WARN, SEALED_ONLY)
_SETTINGS = {"exclude", "registration", "secrets"}


@dataclasses.dataclass(frozen=True)
class RepoConfig:
    """The settings of ``.gitops-ocm.yaml``."""

    exclude: tuple[str, ...] = ()
    registration: str = KEYS
    secrets: str = WARN

    def excluded(self, path: str) -> bool:
        """Return True when an exclude pattern matches the path or one of its folders."""
        if not self.exclude:
            return False
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for pattern in self.exclude:
            pattern = pattern.strip("/")
            for candidate in prefixes:
                if fnmatch.fnmatchcase(candidate, pattern):
                    return True
        return False


def parse_config(data: bytes | None) -> tuple[RepoConfig, list[Problem]]:
    """Parse ``.gitops-ocm.yaml``; an absent file is the default configuration."""
    if data is None:
        return RepoConfig(), []
    parsed = yamlfile.parse(CONFIG_FILE, data)
    if parsed.problems:
        return RepoConfig(), list(parsed.problems)
    if not parsed.documents:
        return RepoConfig(), []
    doc = parsed.documents[0]
    body = doc.body
    found: list[Problem] = []
    unknown = sorted(set(body) - _SETTINGS)
    for key in unknown:
        found.append(
            Problem(CONFIG_FILE, doc.line, 1, "S201", f"/{key}", f"unknown setting {key!r}")
        )
    exclude = body.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(p, str) for p in exclude):
        found.append(
            Problem(CONFIG_FILE, doc.line, 1, "S203", "/exclude", "must be a list of strings")
        )
        exclude = []
    registration = _choice(body, "registration", REGISTRATION_MODES, doc.line, found)
    secrets = _choice(body, "secrets", SECRETS_MODES, doc.line, found)
    return RepoConfig(tuple(exclude), registration, secrets), found


def _choice(
    body: dict[str, Any], key: str, modes: tuple[str, ...], line: int, found: list[Problem]
) -> str:
    """Return the setting ``key`` (one of ``modes``, the first by default); else S204, default."""
    value = body.get(key, modes[0])
    if value in modes:
        return str(value)
    found.append(
        Problem(
            CONFIG_FILE,
            line,
            1,
            "S204",
            f"/{key}",
            f"must be one of {', '.join(modes)}",
            got=repr(value),
        )
    )
    return modes[0]


def is_candidate(path: str) -> bool:
    """Return True when the path names a YAML file outside dot-folders."""
    if not path.endswith(YAML_SUFFIXES):
        return False
    return not any(part.startswith(".") for part in path.split("/"))


def path_problem(path: str) -> Problem | None:
    """Return S110 when a path name tries a trick (``..``, control bytes, backslashes)."""
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts) or _BAD_NAME.search(path):
        shown = path.encode("unicode_escape").decode("ascii")
        return Problem(
            shown, 1, 1, "S110", "", "file name is not a plain relative path", got=repr(shown)
        )
    return None
