"""A synthetic fleet repository for benchmarks: ~12,000 OCM documents by default.

Does I/O (writes a directory, or a commit through ``git fast-import``); the
content is deterministic for a seed (one ``random.Random(seed)``, fixed dates,
canonical YAML), so two runs give byte-identical trees and commit ids.

Shape of the default fleet (``generate(root)``):

* 10,000 ManagedClusters, one file each under ``clusters/<region>/``, labelled
  with region (8), environment (3), tier (3), zone (3 per region), team
  (clusters / 400 of them) and an exclusive cluster set (4); about 3 % carry a
  taint (NoSelect maintenance, NoSelectIfNew decommissioning).
* 4 ManagedClusterSets, each bound into every workspace namespace.
* 1,000 Placements: most in four application workspaces, each selecting about
  1 % of the clusters (about 100 of 10,000) through label selectors,
  matchExpressions, ORed predicates or ``numberOfClusters`` with prioritizers;
  some tolerate taints, some define decision groups. A few dozen more
  general ones in the ``policies`` namespace.
* 1,000 ManifestWorkReplicaSets, each in the file of its Placement
  (``apps/<namespace>/<placement>.yaml``, multi-document), with a Namespace,
  a ConfigMap and a Deployment.
* 200 Policies (one ConfigurationPolicy each, musthave / mustonlyhave /
  mustnothave, inform / enforce), each in a file with its PlacementBinding;
  a fifth of them grouped into PolicySets of five.
* ``.gitops-ocm.yaml`` with ``registration: open``: the clusters name no agent
  key, so they are published as before signed registration (warning T626).

Run ``python benchmarks/fleetgen.py OUTDIR [--clusters N ...] [--git REPO]``.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

CLUSTER_API = "cluster.open-cluster-management.io/v1"
SET_API = "cluster.open-cluster-management.io/v1beta2"
PLACEMENT_API = "cluster.open-cluster-management.io/v1beta1"
MWRS_API = "work.open-cluster-management.io/v1alpha1"
POLICY_API = "policy.open-cluster-management.io/v1"
POLICYSET_API = "policy.open-cluster-management.io/v1beta1"
CLUSTERSET_LABEL = "cluster.open-cluster-management.io/clusterset"

REGIONS = {
    "eu-west": "emea",
    "eu-central": "emea",
    "eu-north": "emea",
    "us-east": "amer",
    "us-west": "amer",
    "ca-central": "amer",
    "ap-south": "apac",
    "ap-northeast": "apac",
}
LAB_SET = "lab"
ENVIRONMENTS = (("dev", 0.3), ("staging", 0.2), ("prod", 0.5))
TIERS = (("gold", 0.2), ("silver", 0.5), ("bronze", 0.3))
TEAM_WORDS = (
    *("payments", "checkout", "search", "catalog", "orders", "billing", "identity", "ledger"),
    *("shipping", "pricing", "inventory", "reviews", "loyalty", "fraud", "media", "ads"),
    *("analytics", "support", "mobile", "partner", "booking", "routing", "notify", "export"),
    "archive",
)
WORKSPACES = ("retail", "payments", "logistics", "platform")
POLICY_NAMESPACE = "policies"
APP_WORDS = ("api", "web", "worker", "cache", "gateway", "ingest", "report", "auth", "search")
TIME_ADDED = "2025-01-15T08:00:00Z"
COMMIT_DATE = 1_735_689_600  # 2025-01-01T00:00:00Z
COMMITTER = "fleetgen <fleetgen@example.com>"
TAINT_MAINTENANCE = "platform.example.com/maintenance"
TAINT_DECOMMISSION = "platform.example.com/decommissioning"
UNREACHABLE = "cluster.open-cluster-management.io/unreachable"


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def team_names(clusters: int) -> list[str]:
    """Return the team names for a fleet of this size (about 400 clusters per team)."""
    count = max(2, round(clusters / 400))
    return [
        TEAM_WORDS[k % len(TEAM_WORDS)]
        + (f"-{k // len(TEAM_WORDS)}" if k >= len(TEAM_WORDS) else "")
        for k in range(count)
    ]


# ---------------------------------------------------------------- clusters


def cluster(rng: random.Random, index: int, teams: list[str]) -> dict[str, Any]:
    """Return one ManagedCluster with realistic labels (and sometimes a taint)."""
    region = rng.choice(list(REGIONS))
    env = _pick(rng, ENVIRONMENTS)
    clusterset = LAB_SET if env == "dev" and rng.random() < 0.3 else REGIONS[region]
    labels = {
        CLUSTERSET_LABEL: clusterset,
        "environment": env,
        "region": region,
        "team": rng.choice(teams),
        "tier": _pick(rng, TIERS),
        "zone": f"{region}-{rng.choice('abc')}",
    }
    spec: dict[str, Any] = {"hubAcceptsClient": True, "leaseDurationSeconds": 60}
    taint = _taint(rng)
    if taint is not None:
        spec["taints"] = [taint]
    name = f"{region}-{env}-{index:05d}"
    return _obj(CLUSTER_API, "ManagedCluster", name, None, spec, labels)


def _taint(rng: random.Random) -> dict[str, Any] | None:
    roll = rng.random()
    if roll < 0.02:
        taint = {"key": TAINT_MAINTENANCE, "value": "node-pool-upgrade", "effect": "NoSelect"}
        return taint | {"timeAdded": TIME_ADDED}
    if roll < 0.03:
        return {"key": TAINT_DECOMMISSION, "effect": "NoSelectIfNew", "timeAdded": TIME_ADDED}
    return None


def clustersets(namespaces: Iterable[str]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield one file per cluster set: the set and its binding into each namespace."""
    for name in sorted({*REGIONS.values(), LAB_SET}):
        spec = {"clusterSelector": {"selectorType": "ExclusiveClusterSetLabel"}}
        docs = [_obj(SET_API, "ManagedClusterSet", name, None, spec)]
        for ns in namespaces:
            binding_spec = {"clusterSet": name}
            docs.append(_obj(SET_API, "ManagedClusterSetBinding", name, ns, binding_spec))
        yield f"clustersets/{name}.yaml", docs


# ---------------------------------------------------------------- placements


def _selector(labels: dict[str, str], **expressions: tuple[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if labels:
        out["matchLabels"] = labels
    if expressions:
        out["matchExpressions"] = [
            {"key": key, "operator": op, "values": values}
            for key, (op, values) in expressions.items()
        ]
    return {"requiredClusterSelector": {"labelSelector": out}}


def app_placement_spec(
    rng: random.Random, teams: list[str], clusters: int
) -> tuple[str, dict[str, Any]]:
    """Return the owning team and a Placement spec that selects about 1 % of the fleet."""
    regions = list(REGIONS)
    team = rng.choice(teams)
    shape = rng.randrange(5)
    if shape == 0:  # one team in two regions: 1/teams x 2/8
        pair = sorted(rng.sample(regions, 2))
        spec: dict[str, Any] = {"predicates": [_selector({"team": team}, region=("In", pair))]}
    elif shape == 1:  # one team's production, top N by score
        spec = {"predicates": [_selector({"team": team, "environment": "prod"})]}
        spec["numberOfClusters"] = max(1, round(clusters / 100))
        spec["prioritizerPolicy"] = _prioritizers(rng)
    elif shape == 2:  # one region, three teams, not bronze
        region = rng.choice(regions)
        three = sorted(rng.sample(teams, min(3, len(teams))))
        predicate = _selector({"region": region}, team=("In", three), tier=("NotIn", ["bronze"]))
        spec = {"predicates": [predicate], "clusterSets": [REGIONS[region]]}
    elif shape == 3:  # two (team, region) pairs, ORed
        a, b = rng.sample(regions, 2)
        other = rng.choice(teams)
        spec = {
            "predicates": [
                _selector({"team": team, "region": a}),
                _selector({"team": other, "region": b}),
            ]
        }
    else:  # staging in one zone, plus the team's gold clusters in two regions
        zone = f"{rng.choice(regions)}-{rng.choice('abc')}"
        pair = sorted(rng.sample(regions, 2))
        gold = _selector({"team": team, "tier": "gold"}, region=("In", pair))
        spec = {"predicates": [_selector({"environment": "staging", "zone": zone}), gold]}
    _decorate(rng, spec)
    return team, spec


def _prioritizers(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.5:
        configs = [
            {"scoreCoordinate": {"type": "BuiltIn", "builtIn": "ResourceAllocatableMemory"}},
            {"scoreCoordinate": {"type": "BuiltIn", "builtIn": "Steady"}, "weight": 3},
        ]
        return {"mode": "Additive", "configurations": configs}
    configs = [
        {"scoreCoordinate": {"type": "BuiltIn", "builtIn": "ResourceAllocatableCPU"}, "weight": 2},
        {"scoreCoordinate": {"type": "BuiltIn", "builtIn": "Balance"}, "weight": 1},
    ]
    return {"mode": "Exact", "configurations": configs}


def _decorate(rng: random.Random, spec: dict[str, Any]) -> None:
    """Add tolerations to some placements and decision groups to others."""
    roll = rng.random()
    if roll < 0.15:
        spec["tolerations"] = [{"key": TAINT_MAINTENANCE, "operator": "Exists"}]
    elif roll < 0.3:
        toleration = {"key": UNREACHABLE, "operator": "Exists", "tolerationSeconds": 300}
        spec["tolerations"] = [toleration]
    if rng.random() < 0.1:
        canary = {"labelSelector": {"matchLabels": {"tier": "gold"}}}
        spec["decisionStrategy"] = {
            "groupStrategy": {
                "clustersPerDecisionGroup": "25%",
                "decisionGroups": [{"groupName": "canary", "groupClusterSelector": canary}],
            }
        }


def policy_placement_spec(rng: random.Random, index: int) -> dict[str, Any]:
    """Return a broad Placement spec for governance (an environment, a region, or all)."""
    shape = index % 4
    spec: dict[str, Any]
    if shape == 0:
        spec = {}
    elif shape == 1:
        spec = {"predicates": [_selector({"environment": rng.choice(["prod", "staging"])})]}
    elif shape == 2:
        spec = {"predicates": [_selector({"region": rng.choice(list(REGIONS))})]}
    else:
        spec = {"predicates": [_selector({}, tier=("In", ["gold", "silver"]))]}
    spec["tolerations"] = [
        {"key": TAINT_MAINTENANCE, "operator": "Exists"},
        {"key": UNREACHABLE, "operator": "Exists"},
    ]
    return spec


# ---------------------------------------------------------------- work


def mwrs(rng: random.Random, index: int, namespace: str, placement: str) -> dict[str, Any]:
    """Return a ManifestWorkReplicaSet with a Namespace, a ConfigMap and a Deployment."""
    name = f"{rng.choice(APP_WORDS)}-{index:04d}"
    app_ns = f"app-{index:04d}"
    image = f"registry.example.com/{namespace}/{name}:1.{rng.randrange(20)}.{rng.randrange(10)}"
    deployment_id = {"group": "apps", "resource": "deployments", "namespace": app_ns}
    config: dict[str, Any] = {
        "resourceIdentifier": deployment_id | {"name": name},
        "feedbackRules": [{"type": "WellKnownStatus"}],
    }
    rollout: dict[str, Any] = {"type": "All"}
    if index % 10 == 9:
        rollout = {"type": "Progressive", "progressive": {"maxConcurrency": "25%"}}
        rollout["progressive"] |= {"minSuccessTime": "1m", "progressDeadline": "10m"}
        config["conditionRules"] = [_progressing_rule()]
    template = {
        "manifestConfigs": [config],
        "workload": {"manifests": _manifests(rng, name, app_ns, image)},
    }
    spec = {
        "placementRefs": [{"name": placement, "rolloutStrategy": rollout}],
        "manifestWorkTemplate": template,
    }
    return _obj(MWRS_API, "ManifestWorkReplicaSet", name, namespace, spec)


def _progressing_rule() -> dict[str, Any]:
    expression = (
        "!has(object.status.updatedReplicas) || "
        "object.status.updatedReplicas < object.spec.replicas"
    )
    return {"condition": "Progressing", "type": "CEL", "celExpressions": [expression]}


def _manifests(rng: random.Random, name: str, app_ns: str, image: str) -> list[dict[str, Any]]:
    labels = {"app": name}
    pod = {
        "metadata": {"labels": labels},
        "spec": {
            "containers": [
                {
                    "name": name.split("-")[0],
                    "image": image,
                    "ports": [{"containerPort": 8080}],
                    "envFrom": [{"configMapRef": {"name": f"{name}-config"}}],
                }
            ]
        },
    }
    deployment_spec = {
        "replicas": rng.choice([1, 2, 3]),
        "selector": {"matchLabels": labels},
        "template": pod,
    }
    config_data = {"LOG_LEVEL": rng.choice(["info", "debug", "warn"]), "PORT": "8080"}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": app_ns}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{name}-config", "namespace": app_ns},
            "data": config_data,
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": app_ns, "labels": labels},
            "spec": deployment_spec,
        },
    ]


# ---------------------------------------------------------------- policies

_POLICY_KINDS = ("namespace", "quota", "no-debug", "limits")


def policy(rng: random.Random, index: int) -> dict[str, Any]:
    """Return a Policy holding one ConfigurationPolicy of one of four archetypes."""
    archetype = _POLICY_KINDS[index % len(_POLICY_KINDS)]
    action = "inform" if archetype == "no-debug" or rng.random() < 0.4 else "enforce"
    templates = _object_templates(archetype, index)
    configuration = {
        "apiVersion": POLICY_API,
        "kind": "ConfigurationPolicy",
        "metadata": {"name": f"{archetype}-{index:03d}"},
        "spec": {
            "remediationAction": action,
            "severity": rng.choice(["low", "medium", "high"]),
            "object-templates": templates,
        },
    }
    spec = {
        "disabled": False,
        "remediationAction": action,
        "policy-templates": [{"objectDefinition": configuration}],
    }
    return _obj(POLICY_API, "Policy", policy_name(index), POLICY_NAMESPACE, spec)


def _object_templates(archetype: str, index: int) -> list[dict[str, Any]]:
    ns = f"governed-{index:03d}"
    namespace: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
    if archetype == "namespace":
        namespace["metadata"]["labels"] = {"pod-security.kubernetes.io/enforce": "baseline"}
        return [{"complianceType": "musthave", "objectDefinition": namespace}]
    if archetype == "no-debug":
        debug = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"debug-{index:03d}", "namespace": "default"},
        }
        return [{"complianceType": "mustnothave", "objectDefinition": debug}]
    if archetype == "quota":
        quota = {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "quota", "namespace": ns},
            "spec": {"hard": {"pods": "50", "requests.cpu": "4", "requests.memory": "8Gi"}},
        }
        return [
            {"complianceType": "musthave", "objectDefinition": namespace},
            {"complianceType": "mustonlyhave", "objectDefinition": quota},
        ]
    limits = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "limits", "namespace": ns},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"}}]},
    }
    return [
        {"complianceType": "musthave", "objectDefinition": namespace},
        {"complianceType": "musthave", "objectDefinition": limits},
    ]


def placement_binding(name: str, placement: str, kind: str, subject: str) -> dict[str, Any]:
    """Return a PlacementBinding of one Policy or PolicySet to one Placement."""
    return {
        "apiVersion": POLICY_API,
        "kind": "PlacementBinding",
        "metadata": {"name": name, "namespace": POLICY_NAMESPACE},
        "placementRef": {
            "apiGroup": "cluster.open-cluster-management.io",
            "kind": "Placement",
            "name": placement,
        },
        "subjects": [
            {"apiGroup": "policy.open-cluster-management.io", "kind": kind, "name": subject}
        ],
    }


# ---------------------------------------------------------------- assembling the tree


def _obj(
    api: str,
    kind: str,
    name: str,
    namespace: str | None,
    spec: dict[str, Any],
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": api, "kind": kind, "metadata": metadata, "spec": spec}


def fleet_files(
    clusters: int = 10_000,
    placements: int = 1_000,
    mwrs_count: int = 1_000,
    policies: int = 200,
    seed: int = 1,
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield (path, documents) for every file of the fleet, deterministically for a seed.

    One placement per five policies (at most half of ``placements``) goes to governance,
    the rest to applications; raises ValueError when that leaves none for the
    ManifestWorkReplicaSets.
    """
    policy_placements = min(max(1, policies // 5), max(1, placements // 2)) if policies else 0
    if mwrs_count > 0 and placements - policy_placements < 1:
        raise ValueError(f"no placement left for {mwrs_count} replica sets (got {placements})")
    rng = random.Random(seed)
    teams = team_names(clusters)
    for index in range(clusters):
        doc = cluster(rng, index, teams)
        region = doc["metadata"]["labels"]["region"]
        yield f"clusters/{region}/{doc['metadata']['name']}.yaml", [doc]
    yield from clustersets((*WORKSPACES, POLICY_NAMESPACE))
    yield from _apps(rng, teams, clusters, placements - policy_placements, mwrs_count)
    yield from _governance(rng, policies, policy_placements)


def _apps(
    rng: random.Random, teams: list[str], clusters: int, placements: int, count: int
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    users: dict[int, list[int]] = collections.defaultdict(list)
    for index in range(count):
        users[index % max(1, placements)].append(index)
    for p in range(placements):
        namespace = WORKSPACES[p % len(WORKSPACES)]
        team, spec = app_placement_spec(rng, teams, clusters)
        name = f"{team}-{p:04d}"
        docs = [_obj(PLACEMENT_API, "Placement", name, namespace, spec)]
        docs.extend(mwrs(rng, index, namespace, name) for index in users[p])
        yield f"apps/{namespace}/{name}.yaml", docs


def _governance(
    rng: random.Random, count: int, placements: int
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    names = [f"governance-{k:03d}" for k in range(placements)]
    if names:
        docs = [
            _obj(PLACEMENT_API, "Placement", n, POLICY_NAMESPACE, policy_placement_spec(rng, k))
            for k, n in enumerate(names)
        ]
        yield "policies/placements.yaml", docs
    grouped = 5 * max(1, count // 25) if count >= 10 else 0  # about a fifth, in sets of five
    for index in range(count):
        doc = policy(rng, index)
        docs = [doc]
        if index < count - grouped:
            name = doc["metadata"]["name"]
            docs.append(placement_binding(name, names[index % len(names)], "Policy", name))
        yield f"policies/{doc['metadata']['name']}.yaml", docs
    for k, start in enumerate(range(count - grouped, count, 5)):
        yield _policyset(k, [policy_name(i) for i in range(start, start + 5)], names)


def policy_name(index: int) -> str:
    """Return the name :func:`policy` gives to the policy of this index."""
    return f"policy-{_POLICY_KINDS[index % len(_POLICY_KINDS)]}-{index:03d}"


def _policyset(k: int, members: list[str], placements: list[str]) -> tuple[str, list[Any]]:
    name = f"baseline-{k:02d}"
    spec = {"description": f"Baseline bundle {k}", "policies": members}
    docs = [
        _obj(POLICYSET_API, "PolicySet", name, POLICY_NAMESPACE, spec),
        placement_binding(name, placements[k % len(placements)], "PolicySet", name),
    ]
    return f"policies/sets/{name}.yaml", docs


class _Dumper(yaml.CSafeDumper):
    """Block-style YAML without anchors; keys stay in the order they were built."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(docs: list[dict[str, Any]]) -> bytes:
    """Return the YAML of a file's documents, separated by ``---``."""
    text = yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)
    return text.encode("utf-8")


CONFIG_FILE = ".gitops-ocm.yaml"
OPEN_CONFIG = b"registration: open\n"


def generate(
    root: Path,
    clusters: int = 10_000,
    placements: int = 1_000,
    mwrs: int = 1_000,
    policies: int = 200,
    seed: int = 1,
) -> dict[str, int]:
    """Write the fleet under ``root``; return the number of files, documents and each kind.

    ``root`` must be absent or empty (stale files would silently join the fleet).
    """
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty")
    counts: collections.Counter[str] = collections.Counter()
    made: set[Path] = set()
    for path, docs in fleet_files(clusters, placements, mwrs, policies, seed):
        target = root / path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(render(docs))
        counts["files"] += 1
        counts["multi_document_files"] += len(docs) > 1
        counts["documents"] += len(docs)
        counts.update(doc["kind"] for doc in docs)
    (root / CONFIG_FILE).write_bytes(OPEN_CONFIG)
    return dict(sorted(counts.items()))


# ---------------------------------------------------------------- edits for "one change" runs

_IMAGE_TAG = re.compile(rb"(image: \S+:\d+\.\d+\.)(\d+)")
_TIER = re.compile(rb"(\n    tier: )(\w+)")
_NEXT_TIER = {b"gold": b"silver", b"silver": b"bronze", b"bronze": b"gold"}


def _first(root: Path, folder: str) -> Path:
    """Return the first YAML file of ``folder`` in sorted order."""
    for base, dirs, files in sorted(os.walk(root / folder)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".yaml"):
                return Path(base) / name
    raise FileNotFoundError(f"no YAML file under {root / folder}")


def touch_one(root: Path) -> Path:
    """Bump the image patch version of the first ManifestWorkReplicaSet file in place."""
    path = _first(Path(root), "apps")
    data = path.read_bytes()
    bumped = _IMAGE_TAG.sub(lambda m: m[1] + str(int(m[2]) + 1).encode(), data, count=1)
    path.write_bytes(bumped)
    return path


def relabel_one_cluster(root: Path) -> Path:
    """Move the first cluster to the next tier (gold, silver, bronze) in place."""
    path = _first(Path(root), "clusters")
    data = path.read_bytes()
    path.write_bytes(_TIER.sub(lambda m: m[1] + _NEXT_TIER[m[2]], data, count=1))
    return path


# ---------------------------------------------------------------- committing


def _tree_files(root: Path) -> Iterator[tuple[str, bytes]]:
    for base, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(files):
            full = Path(base) / name
            yield full.relative_to(root).as_posix(), full.read_bytes()


def _fast_import_stream(files: Iterable[tuple[str, bytes]], ref: str, parent: bool) -> bytes:
    message = b"Synthetic fleet (benchmarks/fleetgen.py)\n"
    head = [
        f"commit {ref}\n".encode(),
        f"committer {COMMITTER} {COMMIT_DATE} +0000\n".encode(),
        b"data %d\n" % len(message),
        message,
    ]
    if parent:
        head.append(f"from {ref}^0\n".encode())
    head.append(b"deleteall\n")
    body = []
    for path, data in files:
        body.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
    return b"".join(head + body) + b"done\n"


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    result = subprocess.run(
        ["git", "--git-dir", str(repo), *args], input=stdin, capture_output=True, check=True
    )
    return result.stdout.decode().strip()


def commit_to_repo(root_dir: Path, repo_path: Path, ref: str = "refs/heads/main") -> str:
    """Commit the tree under ``root_dir`` to ``ref`` of a bare repository; return the commit id.

    The repository is created when missing. When ``ref`` exists the new commit is
    its child (so one changed file is a one-file diff); otherwise it is a root
    commit. Uses ``git fast-import``, which writes one pack instead of loose objects.
    """
    repo = Path(repo_path)
    if not (repo / "HEAD").exists():
        subprocess.run(["git", "init", "--bare", "-q", "-b", "main", str(repo)], check=True)
    parent = subprocess.run(
        ["git", "--git-dir", str(repo), "rev-parse", "--verify", "-q", ref],
        capture_output=True,
    )
    stream = _fast_import_stream(_tree_files(Path(root_dir)), ref, parent.returncode == 0)
    _git(repo, "fast-import", "--quiet", "--done", stdin=stream)
    return _git(repo, "rev-parse", ref)


# ---------------------------------------------------------------- script


def main(argv: list[str] | None = None) -> int:
    """Generate a fleet into OUTDIR, print the counts and the time taken."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--placements", type=int, default=1_000)
    parser.add_argument("--mwrs", type=int, default=1_000)
    parser.add_argument("--policies", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--git", type=Path, help="also commit the fleet to this bare repository")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        counts = generate(
            args.outdir, args.clusters, args.placements, args.mwrs, args.policies, args.seed
        )
    except (FileExistsError, ValueError) as exc:
        parser.error(str(exc))
    for key, value in counts.items():
        print(f"{key:28} {value:7d}")
    print(f"{'generated in':28} {time.perf_counter() - started:7.2f} s")
    if args.git is not None:
        started = time.perf_counter()
        commit = commit_to_repo(args.outdir, args.git)
        print(f"{'committed':28} {commit} in {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
