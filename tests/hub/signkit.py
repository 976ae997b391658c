"""Signed report branches and hub trees with ``allowed_signers``, for the trust tests.

Commits are made with pygit2 as an agent (or an attacker holding some key)
would push them: signed with ``keykit`` keys in a ``gpgsig`` header that stock
``git verify-commit`` checks, or unsigned.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import keykit
import pygit2

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "status"))
from statuskit import cluster_yaml, lease_yaml

from gitops_ocm.model import yamlout
from gitops_ocm.status import signedtips
from gitops_ocm.trust import keys, signers, sshsig

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
SIG = pygit2.Signature("agent", "agent@example.com", 1_700_000_000, 0)


def key(name: str) -> sshsig.Signer:
    """The fixed key of a name (a cluster's agent, or an attacker)."""
    return keykit.signer(keykit.seed(name))


def registration_yaml(cluster: str, public: keys.PublicKey, accepts: bool = False) -> bytes:
    """A ManagedCluster as the agent presents it, with its key and fingerprint."""
    return yamlout.dump(
        {
            "apiVersion": signedtips.API_VERSION,
            "kind": signedtips.KIND,
            "metadata": {
                "name": cluster,
                "annotations": {
                    signedtips.KEY_ANNOTATION: public.fingerprint,
                    signedtips.PUBLIC_KEY_ANNOTATION: public.to_line(),
                },
            },
            "spec": {"hubAcceptsClient": accepts},
        }
    )


def report_files(
    cluster: str, public: keys.PublicKey | None, when: datetime.datetime = NOW
) -> dict[str, bytes]:
    """A healthy report renewed at ``when``, presenting ``public`` (None: no registration)."""
    files = {"cluster.yaml": cluster_yaml(cluster), "lease.yaml": lease_yaml(when)}
    if public is not None:
        files[signedtips.PATH] = registration_yaml(cluster, public)
    return files


def tree(repo: pygit2.Repository, files: dict[str, bytes]) -> pygit2.Oid:
    """Write ``files`` (paths with folders) as a tree."""
    index = pygit2.Index()
    for rel, data in files.items():
        index.add(pygit2.IndexEntry(rel, repo.create_blob(data), pygit2.enums.FileMode.BLOB))
    return index.write_tree(repo)


def push(
    repo_path: Path,
    branch: str,
    files: dict[str, bytes],
    signer: sshsig.Signer | None,
    *,
    parent: str | None = "tip",
) -> str:
    """Point ``refs/heads/<branch>`` at a new commit of ``files``, signed by ``signer``.

    ``parent`` "tip" builds on the branch; None starts a new history (a replaced branch);
    a commit id builds on that commit (a rewound branch).
    """
    repo = pygit2.Repository(str(repo_path))
    ref = f"refs/heads/{branch}"
    if parent == "tip":
        parent = str(repo.references[ref].target) if ref in repo.references else None
    parents: list[str | pygit2.Oid] = [] if parent is None else [pygit2.Oid(hex=parent)]
    oid = tree(repo, files)
    if signer is None:
        commit = repo.create_commit(None, SIG, SIG, "report", oid, parents)
    else:
        content = str(repo.create_commit_string(SIG, SIG, "report", oid, parents))
        armored = signer.sign(content.encode())
        commit = repo.create_commit_with_signature(content, armored.rstrip("\n"), "gpgsig")
    repo.references.create(ref, commit, force=True)
    return str(commit)


def hub(
    repo_path: Path,
    accepted: dict[str, keys.PublicKey],
    published: list[str],
    hub_key: keys.PublicKey | None = None,
) -> str:
    """Commit an ``ocm/hub`` tree: ``allowed_signers`` and a folder per published cluster."""
    principals = {name: [public] for name, public in accepted.items()}
    principals["hub"] = [hub_key or key("hub").public_key]
    files = {"allowed_signers": signers.render(principals).encode()}
    files.update((f"clusters/{name}/cluster.yaml", cluster_yaml(name)) for name in published)
    return push(repo_path, "ocm/hub", files, key("hub"))


def delete(repo_path: Path, branch: str) -> None:
    """Delete a branch."""
    pygit2.Repository(str(repo_path)).references.delete(f"refs/heads/{branch}")
