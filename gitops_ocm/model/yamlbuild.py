"""Building plain data from composed YAML nodes, fast, for the common file.

Pure. PyYAML's C loader parses and composes in C, but resolves tags and
constructs objects in Python, with per-node bookkeeping (generators, a table of
constructed nodes, recursion guards) that only anchors and aliases need. Most
files we read have neither, so this module offers:

- :class:`Loader`, a ``CSafeLoader`` that memoizes the tag of each plain
  scalar (a pure function of its text under a fixed resolver table) and
  counts the nodes it composes against :data:`yamllimits.MAX_NODES`;
- :class:`Counting`, the same loader constructing the way PyYAML does but
  counting depth and alias expansion (the full path for anchored files);
- :func:`build_document` and :func:`build_single`, which turn a composed node
  into dicts, lists and scalars directly, with the loader's own scalar
  constructors.

Both builders are all-or-nothing: anything outside the common case (an
anchor anywhere in the text, a merge key, a tag other than the plain data
types, a duplicate or non-scalar key where the caller refuses those, nesting
beyond :data:`MAX_DEPTH`, any error at all) raises :class:`Fallback`, and the
caller reads the same text again through its full loader. The fast path
therefore only ever returns what the full loader would have returned.
"""

from __future__ import annotations

from typing import Any, ClassVar

import yaml

from gitops_ocm.model import yamllimits
from gitops_ocm.model.yamllimits import MAX_DEPTH, MAX_NODES

PLAIN_TAGS_LIMIT = 1 << 16

STR = "tag:yaml.org,2002:str"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
VALUE = "tag:yaml.org,2002:value"
MERGE = "tag:yaml.org,2002:merge"
SCALAR_TAGS = frozenset(
    "tag:yaml.org,2002:" + name for name in ("null", "bool", "int", "float", "binary", "timestamp")
)

_Scalars = dict[str, Any]


class Fallback(Exception):
    """The fast path cannot vouch for this input: read it with the full loader."""


class Loader(yaml.CSafeLoader):
    """A safe C loader whose plain-scalar tags are memoized, one table per class.

    Tag resolution of a plain scalar depends only on its text and the class's
    implicit resolvers (none of our loaders uses path resolvers), so the answer
    is cached; the table stops growing at :data:`PLAIN_TAGS_LIMIT` entries.
    """

    plain_tags: ClassVar[dict[str, str]] = {}

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self.nodes = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.plain_tags = {}

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        # The composer resolves every node's tag once, before its children: count here.
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise yamllimits.Refused("S114", yamllimits.MANY_NODES)
        if self.yaml_path_resolvers:  # none of ours has any; stay correct if one does
            tag: str = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            return tag
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return STR
            tags = self.plain_tags
            found = tags.get(value)
            if found is None:
                found = self._resolve_plain(value)
                if len(tags) < PLAIN_TAGS_LIMIT:
                    tags[value] = found
            return found
        return SEQ if kind is yaml.SequenceNode else MAP

    def _resolve_plain(self, value: str) -> str:
        """Resolve a plain scalar as ``BaseResolver.resolve`` does."""
        table = self.yaml_implicit_resolvers
        candidates = table.get(value[0] if value else "", []) + table.get(None, [])
        for tag, regexp in candidates:
            if regexp.match(value):
                return str(tag)
        return STR


class Counting(Loader):
    """A :class:`Loader` whose construction counts depth and what aliases expand to.

    An alias is counted as the nodes of what it repeats, so a billion laughs
    stops at :data:`MAX_NODES` (S106) however few nodes the text holds;
    nesting past :data:`MAX_DEPTH` is S107. Both raise
    :class:`yamllimits.Refused`, which no constructor's error handling catches.
    """

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self.deep_construct = True
        self._expanded = 0
        self._depth = 0
        self._sizes: dict[yaml.Node, int] = {}

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:
            self._expanded += self._sizes.get(node, 1)
            if self._expanded > MAX_NODES:
                raise yamllimits.Refused.at("S106", yamllimits.BOMB, node.start_mark)
            return self.constructed_objects[node]
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise yamllimits.Refused.at("S107", yamllimits.DEEP, node.start_mark)
        before = self._expanded
        self._expanded += 1
        try:
            value = super().construct_object(node, deep=True)
        finally:
            self._depth -= 1
        self._sizes[node] = self._expanded - before
        return value


def scalar_constructors(loader: type[yaml.CSafeLoader]) -> _Scalars:
    """Return a loader class's constructors of plain scalar types, by tag."""
    table = loader.yaml_constructors
    return {tag: table[tag] for tag in SCALAR_TAGS if tag in table}


def build_document(loader: yaml.CSafeLoader, node: yaml.Node, scalars: _Scalars) -> Any:
    """Build a document whose mapping keys are taken as text and must be unique.

    The semantics of ``yamlfile``'s loader: a key is its scalar's text whatever
    its tag. A merge, duplicate or non-scalar key raises :class:`Fallback` (the
    full loader merges or reports it).
    """
    return _strict(loader, node, scalars, 1)


def _strict(loader: yaml.CSafeLoader, node: yaml.Node, scalars: _Scalars, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise Fallback
    kind = type(node)
    tag = node.tag
    if kind is yaml.ScalarNode:
        if tag == STR:
            return node.value
        make = scalars.get(tag)
        if make is None:
            raise Fallback
        return make(loader, node)
    if kind is yaml.MappingNode and tag == MAP:
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode or key_node.tag == MERGE:
                raise Fallback
            key = key_node.value
            if key in mapping:
                raise Fallback
            mapping[key] = _strict(loader, value_node, scalars, depth + 1)
        return mapping
    if kind is yaml.SequenceNode and tag == SEQ:
        return [_strict(loader, item, scalars, depth + 1) for item in node.value]
    raise Fallback


def build_single(loader: yaml.CSafeLoader, node: yaml.Node, scalars: _Scalars) -> Any:
    """Build a document as ``yaml.load`` with ``CSafeLoader`` would.

    Keys are constructed like values (``1:`` is the integer 1) and a later
    duplicate key wins.
    """
    return _loose(loader, node, scalars, 1)


def _loose(loader: yaml.CSafeLoader, node: yaml.Node, scalars: _Scalars, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise Fallback
    kind = type(node)
    tag = node.tag
    if kind is yaml.ScalarNode:
        if tag == STR:
            return node.value
        make = scalars.get(tag)
        if make is None:
            raise Fallback
        return make(loader, node)
    if kind is yaml.MappingNode and tag == MAP:
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode:
                raise Fallback
            key_tag = key_node.tag
            if key_tag in (STR, VALUE):
                key = key_node.value
            else:
                make = scalars.get(key_tag)
                if make is None:
                    raise Fallback
                key = make(loader, key_node)
            mapping[key] = _loose(loader, value_node, scalars, depth + 1)
        return mapping
    if kind is yaml.SequenceNode and tag == SEQ:
        return [_loose(loader, item, scalars, depth + 1) for item in node.value]
    raise Fallback
