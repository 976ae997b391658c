"""Git's allowed-signers file (``man ssh-keygen``, ALLOWED SIGNERS): render and parse.

Pure. ``render`` writes the file ``ocm/hub`` carries at its root: one line per
(principal, key), ``<principal> namespaces="git" ssh-ed25519 <base64>``, sorted,
so the same keys always give the same bytes. Principals are the names we give:
cluster names and ``hub``; a name that could change the meaning of a line
(spaces, commas, quotes, patterns ``*`` ``?`` ``!``) is refused (T610).

``parse`` reads such a file, or one written by people (``--verify-source``):
comments and blank lines, principals as a comma-separated list, optionally in
double quotes, the options ``cert-authority``, ``namespaces="..."``,
``valid-after="..."`` and ``valid-before="..."``, then the key and an optional
comment. The file is bounded (``MAX_BYTES``, ``MAX_LINES``); a malformed line is
refused with its line number (T609). Only ``ssh-ed25519`` keys are supported
(T604 names the line of another type). ``keys_for`` matches principals exactly:
patterns are kept as written but never expanded, so a pattern grants nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping

from gitops_ocm.trust import failure, keys

MAX_BYTES = 16 * 1024 * 1024
MAX_LINES = 100_000
NAMESPACE = "git"
PRINCIPAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,252}")
_OPTION = re.compile(r'([A-Za-z-]+)(?:="([^"]*)")?(?:,|(?=\s)|$)')
_KEY_TYPE = re.compile(r"(ssh-|ecdsa-|sk-)")
_KNOWN_OPTIONS = {"cert-authority", "namespaces", "valid-after", "valid-before"}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One line of an allowed-signers file."""

    principals: tuple[str, ...]
    key: keys.PublicKey
    namespaces: tuple[str, ...] | None = None  # None: any namespace
    cert_authority: bool = False
    valid_after: str | None = None
    valid_before: str | None = None
    line: int = dataclasses.field(default=0, compare=False)


def check_principal(principal: str) -> str:
    """Return ``principal`` when it is safe to write on a line, else raise T610."""
    if not PRINCIPAL.fullmatch(principal):
        raise failure.TrustError(
            failure.PRINCIPAL,
            "a principal is 1-253 letters, digits, '.', '_', '@' or '-', starting with a letter "
            f"or digit (got {principal[:60]!r})",
        )
    return principal


def render(signers: Mapping[str, Iterable[keys.PublicKey]]) -> str:
    """Return the allowed-signers file of ``signers`` (principal -> keys), sorted."""
    for principal in signers:
        check_principal(principal)
    lines = {
        f'{principal} namespaces="{NAMESPACE}" {_bare(key)}'
        for principal, principal_keys in signers.items()
        for key in principal_keys
    }
    return "".join(f"{line}\n" for line in sorted(lines))


def parse(text: str, where: str = "allowed_signers") -> tuple[Entry, ...]:
    """Return the entries of an allowed-signers file; T609 names the first malformed line."""
    if len(text) > MAX_BYTES:
        raise failure.TrustError(
            failure.SIGNERS,
            f"an allowed-signers file holds at most {MAX_BYTES} bytes",
            f"{where}:1",
        )
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        raise failure.TrustError(
            failure.SIGNERS,
            f"an allowed-signers file holds at most {MAX_LINES} lines",
            f"{where}:1",
        )
    entries = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            entries.append(_entry(stripped, number, f"{where}:{number}"))
    return tuple(entries)


def keys_for(
    entries: Iterable[Entry], principal: str, namespace: str = NAMESPACE
) -> tuple[keys.PublicKey, ...]:
    """Return the keys listed for exactly ``principal`` and allowed to sign in ``namespace``."""
    return tuple(
        entry.key
        for entry in entries
        if principal in entry.principals
        and not entry.cert_authority
        and (entry.namespaces is None or namespace in entry.namespaces)
    )


def _bare(key: keys.PublicKey) -> str:
    """Return the key's line without its comment (comments are not part of the file)."""
    return keys.PublicKey(key.blob).to_line()


def _entry(line: str, number: int, where: str) -> Entry:
    """Return the entry of one non-blank, non-comment line."""
    try:
        principals, rest = _principals(line)
        options, rest = ({}, rest) if _KEY_TYPE.match(rest) else _options(rest)
        key = keys.parse_line(rest)
    except failure.TrustError as exc:
        raise failure.TrustError(exc.code, exc.detail, where) from exc
    namespaces = options.get("namespaces")
    return Entry(
        principals=principals,
        key=key,
        namespaces=None if namespaces is None else tuple(namespaces.split(",")),
        cert_authority="cert-authority" in options,
        valid_after=options.get("valid-after"),
        valid_before=options.get("valid-before"),
        line=number,
    )


def _principals(line: str) -> tuple[tuple[str, ...], str]:
    """Split the principals field (quoted or not) off a line."""
    if line.startswith('"'):
        end = line.find('"', 1)
        if end < 0:
            raise failure.TrustError(failure.SIGNERS, "unterminated quoted principals")
        field, rest = line[1:end], line[end + 1 :]
        if rest and not rest[0].isspace():
            raise failure.TrustError(failure.SIGNERS, "a space must follow the quoted principals")
    else:
        field, rest = [*line.split(None, 1), ""][:2]
    names = tuple(field.split(","))
    if not field or any(not name for name in names):
        raise failure.TrustError(
            failure.SIGNERS, "a line starts with principals, separated by commas"
        )
    return names, rest.strip()


def _options(text: str) -> tuple[dict[str, str], str]:
    """Split the options field off the rest of a line, checking each option."""
    options: dict[str, str] = {}
    at = 0
    while at < len(text) and not text[at].isspace():
        match = _OPTION.match(text, at)
        if match is None or match.group(1) not in _KNOWN_OPTIONS or match.group(1) in options:
            raise failure.TrustError(
                failure.SIGNERS, f"unknown, repeated or malformed option at {text[at : at + 30]!r}"
            )
        name, value = match.group(1), match.group(2)
        if (value is None) != (name == "cert-authority"):
            raise failure.TrustError(
                failure.SIGNERS, f"option {name} takes a quoted value except cert-authority"
            )
        options[name] = value or ""
        at = match.end()
    if text[at - 1 : at] == ",":
        raise failure.TrustError(failure.SIGNERS, "an option list may not end with a comma")
    return options, text[at:].strip()
