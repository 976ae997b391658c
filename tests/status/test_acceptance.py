"""Writing an acceptance into a ManagedCluster file keeps the rest of the file as written."""

from __future__ import annotations

import pytest
import yaml

from gitops_ocm.status import acceptance

FP = "SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
KEY = "gitops-ocm.io/agent-key"

BLOCK = """\
# the production cluster in Frankfurt
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata:
  name: c1
  labels:
    region: eu  # keep me
spec:
  hubAcceptsClient: false  # not yet
  leaseDurationSeconds: 60
"""

CASES = {
    "block-with-comments": (
        BLOCK,
        BLOCK.replace("metadata:\n", f'metadata:\n  annotations:\n    {KEY}: "{FP}"\n').replace(
            "  hubAcceptsClient: false  # not yet\n", "  hubAcceptsClient: true\n"
        ),
    ),
    "existing-annotations": (
        "kind: ManagedCluster\napiVersion: cluster.open-cluster-management.io/v1\n"
        "metadata:\n    name: c1\n    annotations:\n        other: x\n"
        f"        {KEY}: old\nspec:\n    hubAcceptsClient: true\n",
        "kind: ManagedCluster\napiVersion: cluster.open-cluster-management.io/v1\n"
        "metadata:\n    name: c1\n    annotations:\n        other: x\n"
        f'        {KEY}: "{FP}"\nspec:\n    hubAcceptsClient: true\n',
    ),
    "no-spec": (
        "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
        "metadata:\n  name: c1\n# trailing comment\n",
        "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
        f'metadata:\n  annotations:\n    {KEY}: "{FP}"\n  name: c1\n'
        "spec:\n  hubAcceptsClient: true\n# trailing comment\n",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_edit(name: str) -> None:
    """Only the two fields' lines change or are added; comments and other keys stay."""
    before, after = CASES[name]
    edit = acceptance.accept(before, "c1", FP)
    assert edit is not None and not edit.rewritten
    assert edit.text == after


def test_other_documents_stay_byte_for_byte() -> None:
    """In a file of several documents only the cluster's document changes."""
    other = "---\n# a set\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
    edit = acceptance.accept(other + "---\n" + BLOCK + other, "c1", FP)
    assert edit is not None
    assert edit.text.startswith(other + "---\n# the production cluster")
    assert edit.text.endswith(other)
    docs = list(yaml.safe_load_all(edit.text))
    assert docs[1]["metadata"]["annotations"][KEY] == FP


def test_flow_style_is_written_again() -> None:
    """A document the line edit cannot change is written again from its content (and says so)."""
    text = (
        "{apiVersion: cluster.open-cluster-management.io/v1, kind: ManagedCluster,"
        " metadata: {name: c1}}\n"
    )
    edit = acceptance.accept(text, "c1", FP)
    assert edit is not None and edit.rewritten
    body = yaml.safe_load(edit.text)
    assert body["spec"]["hubAcceptsClient"] is True
    assert body["metadata"]["annotations"][KEY] == FP


def test_changes_are_described() -> None:
    """The edit lists what it changed, from and to."""
    edit = acceptance.accept(BLOCK, "c1", FP)
    assert edit is not None
    assert edit.changes == (
        "spec.hubAcceptsClient: False -> true",
        f"annotation {KEY}: (unset) -> {FP}",
    )


def test_another_cluster_is_not_found() -> None:
    """A file without the cluster's ManagedCluster gives None."""
    assert acceptance.accept(BLOCK, "c2", FP) is None


def test_new_file_accepts() -> None:
    """A new file holds an accepted ManagedCluster with the key's fingerprint."""
    body = yaml.safe_load(acceptance.new_file("c3", FP))
    assert body["kind"] == "ManagedCluster" and body["metadata"]["name"] == "c3"
    assert body["spec"] == {"hubAcceptsClient": True}
    assert body["metadata"]["annotations"] == {KEY: FP}
