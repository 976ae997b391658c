"""Which lists merge by key, and which are sets, for strategic merge patch and server-side apply.

Pure. A real API server reads this from its Go types (``patchMergeKey``,
``listType=map``); we keep a table of the built-in list fields an apply engine
meets. Lists of custom resources are atomic (as without ``x-kubernetes-list-type``),
except the metadata lists every object shares.
"""

from __future__ import annotations

Names = tuple[str, ...]

# (field-name suffix, whether the whole path must match) -> merge key fields
_MAP_LISTS: dict[Names, tuple[str, ...]] = {
    ("containers",): ("name",),
    ("initContainers",): ("name",),
    ("ephemeralContainers",): ("name",),
    ("env",): ("name",),
    ("volumes",): ("name",),
    ("volumeMounts",): ("mountPath",),
    ("volumeDevices",): ("devicePath",),
    ("imagePullSecrets",): ("name",),
    ("containers", "ports"): ("containerPort",),
    ("initContainers", "ports"): ("containerPort",),
    ("ephemeralContainers", "ports"): ("containerPort",),
    ("hostAliases",): ("ip",),
    ("conditions",): ("type",),
    ("topologySpreadConstraints",): ("topologyKey", "whenUnsatisfiable"),
    ("resourceClaims",): ("name",),
    ("webhooks",): ("name",),
    ("secrets",): ("name",),
    ("taints",): ("key", "effect"),
    ("addresses",): ("type",),
}
# Paths that must match from the root.
_EXACT_MAP_LISTS: dict[Names, tuple[str, ...]] = {
    ("spec", "ports"): ("port",),
    ("metadata", "ownerReferences"): ("uid",),
}
_EXACT_SETS: frozenset[Names] = frozenset({("metadata", "finalizers")})


def list_keys(names: Names, *, builtin: bool) -> tuple[str, ...] | None:
    """Return the key fields of the list at ``names`` (field names from the root), or None."""
    if names in _EXACT_MAP_LISTS:
        return _EXACT_MAP_LISTS[names]
    if not builtin or not names:
        return None
    if len(names) >= 2 and names[-2:] in _MAP_LISTS:
        return _MAP_LISTS[names[-2:]]
    if names[-1:] in _MAP_LISTS and names[-1] != "ports":
        return _MAP_LISTS[names[-1:]]
    return None


def is_set(names: Names) -> bool:
    """Return whether the list at ``names`` is a set of scalars (merged as a union)."""
    return names in _EXACT_SETS
