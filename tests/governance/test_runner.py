"""Governance passes on an in-memory cluster: enforce, inform, dependencies, intervals, prune."""

from __future__ import annotations

from typing import Any

from govkit import (
    Spoke,
    at,
    config_policy,
    configmap,
    depends_on,
    history,
    namespace,
    replicated,
)

from gitops_ocm.governance import runner
from gitops_ocm.kube import cluster as cluster_errors
from gitops_ocm.localkube import memory
from gitops_ocm.model import yamlout

ENFORCE = "policies/default.enforce.yaml"


def test_enforce_musthave_creates_missing_objects() -> None:
    """An enforced musthave creates the Namespace and ConfigMap and reports Compliant."""
    spoke = Spoke()
    tmpl = config_policy("make-cm", namespace("demo"), configmap("a", x="1"))
    files = spoke.run({"default.enforce": replicated("enforce", "enforce", tmpl)})
    assert spoke.kube.get("v1", "Namespace", "demo") is not None
    live = spoke.kube.get("v1", "ConfigMap", "a", "demo")
    assert live is not None and live["data"] == {"x": "1"}
    report = files[ENFORCE]
    assert report["metadata"] == {"name": "default.enforce", "namespace": "c1"}
    assert report["status"]["compliant"] == "Compliant"
    (entry,) = history(report, "make-cm")
    assert entry["message"].startswith("Compliant; notification - namespaces [demo] was created")
    assert "configmaps [a] was created successfully in namespace demo" in entry["message"]
    state = files["configurationpolicies/default.enforce/make-cm.yaml"]
    related = {r["object"]["kind"]: r for r in state["status"]["relatedObjects"]}
    assert related["ConfigMap"]["properties"] == {
        "createdByPolicy": True,
        "uid": live["metadata"]["uid"],
    }


def test_second_pass_reports_found_and_then_nothing_moves() -> None:
    """After creating, the next pass says "found as specified"; a third changes no byte."""
    spoke = Spoke()
    policies = {
        "default.enforce": replicated("enforce", "enforce", config_policy("p", namespace()))
    }
    spoke.run(policies, 0)
    files = spoke.run(policies, 10)
    messages = [h["message"] for h in history(files[ENFORCE], "p")]
    assert messages == [
        "Compliant; notification - namespaces [demo] found as specified",
        "Compliant; notification - namespaces [demo] was created successfully",
    ]
    before = dict(spoke.files)
    spoke.run(policies, 20)
    assert spoke.files == before


def test_inform_mustnothave_reports_and_changes_nothing() -> None:
    """An inform mustnothave on an existing object is NonCompliant and leaves it alone."""
    spoke = Spoke()
    spoke.kube.create(namespace())
    created = spoke.kube.create(configmap("bad"))
    tmpl = config_policy("no-bad", configmap("bad"), compliance="mustnothave")
    files = spoke.run({"default.inform": replicated("inform", "inform", tmpl)})
    report = files["policies/default.inform.yaml"]
    assert report["status"]["compliant"] == "NonCompliant"
    assert history(report, "no-bad")[0]["message"] == (
        "NonCompliant; violation - configmaps [bad] found in namespace demo"
    )
    live = spoke.kube.get("v1", "ConfigMap", "bad", "demo")
    assert live is not None
    assert live["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_enforce_mustnothave_deletes() -> None:
    """An enforced mustnothave deletes the object."""
    spoke = Spoke()
    spoke.kube.create(namespace())
    spoke.kube.create(configmap("bad"))
    tmpl = config_policy("no-bad", configmap("bad"), compliance="mustnothave")
    files = spoke.run({"default.enforce": replicated("enforce", "enforce", tmpl)})
    assert spoke.kube.get("v1", "ConfigMap", "bad", "demo") is None
    assert files[ENFORCE]["status"]["compliant"] == "Compliant"


def test_dependency_gates_until_other_policy_compliant() -> None:
    """A template waits (Pending) until the policy it depends on reports Compliant."""
    spoke = Spoke()
    spoke.kube.create(namespace())
    base = replicated("base", "inform", config_policy("need", configmap("base")))
    gated = replicated(
        "gated", "enforce", config_policy("make", configmap("x")), dependencies=[depends_on("base")]
    )
    policies = {"default.base": base, "default.gated": gated}
    pending = "Pending; Dependencies were not satisfied: 1 is still pending (Policy default.base)"
    for seconds in (0, 10):
        files = spoke.run(policies, seconds)
        assert files["policies/default.gated.yaml"]["status"]["compliant"] == "Pending"
        assert history(files["policies/default.gated.yaml"], "make")[0]["message"] == pending
    assert spoke.kube.get("v1", "ConfigMap", "x", "demo") is None
    spoke.kube.create(configmap("base"))
    files = spoke.run(policies, 20)
    assert files["policies/default.base.yaml"]["status"]["compliant"] == "Compliant"
    assert files["policies/default.gated.yaml"]["status"]["compliant"] == "Pending"
    files = spoke.run(policies, 30)
    assert files["policies/default.gated.yaml"]["status"]["compliant"] == "Compliant"
    assert spoke.kube.get("v1", "ConfigMap", "x", "demo") is not None
    assert len(history(files["policies/default.gated.yaml"], "make")) == 2


def test_ignore_pending_reports_compliant() -> None:
    """With ignorePending an unmet template is Compliant and still not applied."""
    spoke = Spoke()
    gated = replicated(
        "gated",
        "enforce",
        config_policy("make", namespace("x")),
        dependencies=[depends_on("missing")],
        ignorePending=True,
    )
    files = spoke.run({"default.gated": gated})
    report = files["policies/default.gated.yaml"]
    assert report["status"]["compliant"] == "Compliant"
    assert history(report, "make")[0]["message"].endswith("but ignorePending is true")
    assert spoke.kube.get("v1", "Namespace", "x") is None


def test_extra_dependencies_on_template() -> None:
    """A template's extraDependencies gate that template only."""
    spoke = Spoke()
    policy = replicated("p", "enforce", config_policy("make", namespace("x")))
    policy["spec"]["policy-templates"][0]["extraDependencies"] = [depends_on("other")]
    policy["spec"]["policy-templates"].append(
        {"objectDefinition": config_policy("free", namespace("y"))}
    )
    files = spoke.run({"default.p": policy})
    assert files["policies/default.p.yaml"]["status"]["compliant"] == "Pending"
    assert spoke.kube.get("v1", "Namespace", "x") is None
    assert spoke.kube.get("v1", "Namespace", "y") is not None


def test_interval_never_evaluates_once() -> None:
    """``never`` keeps the first result even after the cluster changes."""
    spoke = Spoke()
    tmpl = config_policy("need", namespace("x"), evaluationInterval={"noncompliant": "never"})
    policies = {"default.inform": replicated("inform", "inform", tmpl)}
    spoke.run(policies, 0)
    spoke.kube.create(namespace("x"))
    files = spoke.run(policies, 3600)
    assert files["policies/default.inform.yaml"]["status"]["compliant"] == "NonCompliant"
    assert spoke.last is not None and spoke.last.evaluated == 0


def test_interval_duration_waits_then_evaluates() -> None:
    """A Go duration is the minimum time between evaluations (injected clock)."""
    spoke = Spoke()
    tmpl = config_policy("need", namespace("x"), evaluationInterval={"noncompliant": "1m"})
    policies = {"default.inform": replicated("inform", "inform", tmpl)}
    spoke.run(policies, 0)
    spoke.kube.create(namespace("x"))
    files = spoke.run(policies, 59)
    assert files["policies/default.inform.yaml"]["status"]["compliant"] == "NonCompliant"
    files = spoke.run(policies, 60)
    assert files["policies/default.inform.yaml"]["status"]["compliant"] == "Compliant"
    state = files["configurationpolicies/default.inform/need.yaml"]
    assert state["status"]["lastEvaluated"] == "2025-01-01T00:01:00Z"


def test_changed_template_is_evaluated_despite_interval() -> None:
    """Editing a template re-evaluates it even when its interval is ``never``."""
    spoke = Spoke()
    interval = {"noncompliant": "never"}
    first = config_policy("need", namespace("x"), evaluationInterval=interval)
    spoke.run({"default.inform": replicated("inform", "inform", first)}, 0)
    second = config_policy("need", namespace("y"), evaluationInterval=interval)
    files = spoke.run({"default.inform": replicated("inform", "inform", second)}, 10)
    message = history(files["policies/default.inform.yaml"], "need")[0]["message"]
    assert "namespaces [y] not found" in message


def test_prune_delete_if_created_on_removal() -> None:
    """When the policy leaves the hub, DeleteIfCreated deletes only what it created."""
    spoke = Spoke()
    spoke.kube.create(namespace())
    spoke.kube.create(configmap("pre"))
    tmpl = config_policy(
        "cms", configmap("pre"), configmap("made"), pruneObjectBehavior="DeleteIfCreated"
    )
    spoke.run({"default.enforce": replicated("enforce", "enforce", tmpl)}, 0)
    assert spoke.kube.get("v1", "ConfigMap", "made", "demo") is not None
    files = spoke.run({}, 10)
    assert spoke.kube.get("v1", "ConfigMap", "made", "demo") is None
    assert spoke.kube.get("v1", "ConfigMap", "pre", "demo") is not None
    assert files == {}
    assert spoke.last is not None and spoke.last.pruned == 1


class _NoDelete(memory.MemoryCluster):
    """An in-memory cluster that refuses every delete."""

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        raise cluster_errors.Forbidden("configmaps is forbidden")


def test_failed_template_prune_is_a_typed_failure() -> None:
    """A prune that fails is a TemplatePruneFailure and the template's file is kept."""
    spoke = Spoke(kube=_NoDelete())
    tmpl = config_policy("cms", configmap("made"), pruneObjectBehavior="DeleteIfCreated")
    spoke.kube.create(namespace())
    spoke.run({"default.enforce": replicated("enforce", "enforce", tmpl)}, 0)
    path = "configurationpolicies/default.enforce/cms.yaml"
    before = spoke.files[path]
    outcome = runner.Runner(spoke.kube, "c1", at(10)).run({}, spoke.files)
    failure = runner.TemplatePruneFailure("default.enforce", "cms", "configmaps is forbidden")
    assert outcome.failures == [failure] and outcome.pruned == 0
    assert str(failure) == "pruning policy default.enforce template cms: configmaps is forbidden"
    assert outcome.files == {path: before}


def test_prune_none_keeps_objects() -> None:
    """Without pruneObjectBehavior a removed policy leaves its objects in place."""
    spoke = Spoke()
    tmpl = config_policy("ns", namespace("x"))
    spoke.run({"default.enforce": replicated("enforce", "enforce", tmpl)}, 0)
    spoke.run({}, 10)
    assert spoke.kube.get("v1", "Namespace", "x") is not None


def test_history_capped_at_ten_newest_first() -> None:
    """History keeps the 10 newest events and adds none while the message is unchanged."""
    spoke = Spoke()
    policies = {"default.inform": replicated("inform", "inform", config_policy("p", namespace()))}
    for step in range(12):
        if step % 2:
            spoke.kube.create(namespace())
        elif step:
            spoke.kube.delete("v1", "Namespace", "demo")
        spoke.run(policies, step * 10)
    entries = history(yamlout.load(spoke.files["policies/default.inform.yaml"]), "p")
    assert len(entries) == 10
    assert [e["lastTimestamp"] for e in entries][:2] == [
        "2025-01-01T00:01:50Z",
        "2025-01-01T00:01:40Z",
    ]
    assert entries[0]["message"].startswith("Compliant;")
    assert entries[0]["eventName"].startswith("c1.default.inform.")
    before = dict(spoke.files)
    spoke.run(policies, 500)
    assert spoke.files == before


def test_other_template_kinds_are_template_errors() -> None:
    """A template kind the agent cannot evaluate is NonCompliant with template-error."""
    spoke = Spoke()
    other = {
        "apiVersion": "policy.open-cluster-management.io/v1",
        "kind": "CertificatePolicy",
        "metadata": {"name": "certs"},
    }
    files = spoke.run({"default.p": replicated("p", "inform", other)})
    report = files["policies/default.p.yaml"]
    assert report["status"]["compliant"] == "NonCompliant"
    assert history(report, "certs")[0]["message"].startswith("NonCompliant; template-error;")


def test_disabled_policy_is_not_reported() -> None:
    """A disabled replica is neither evaluated nor reported."""
    spoke = Spoke()
    policy = replicated("p", "enforce", config_policy("ns", namespace("x")))
    policy["spec"]["disabled"] = True
    assert spoke.run({"default.p": policy}) == {}
    assert spoke.kube.get("v1", "Namespace", "x") is None


def test_failed_change_is_reported_not_the_after_state() -> None:
    """When enforcing fails, the report says so instead of "was created successfully"."""
    spoke = Spoke()
    tmpl = config_policy("cm", configmap("a", namespace="absent"))
    files = spoke.run({"default.enforce": replicated("enforce", "enforce", tmpl)})
    report = files[ENFORCE]
    assert report["status"]["compliant"] == "NonCompliant"
    message = history(report, "cm")[0]["message"]
    assert message.startswith("NonCompliant; violation - failed to create configmaps [a]")
    state = files["configurationpolicies/default.enforce/cm.yaml"]
    (related,) = state["status"]["relatedObjects"]
    assert related["compliant"] == "NonCompliant"
    assert related["properties"]["createdByPolicy"] is False
