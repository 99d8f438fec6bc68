"""Every custom resource each stack registers validates against the CRDs of the chart versions pinned in
``infra/versions.py``, read from ``../shared/crds/<chart>-<version>/`` (or ``$GENEPOOL_CRDS_DIR``): schema, pruning
and CEL rules, as ``crd_validation`` describes (docs/architecture.md#custom-resources-against-upstream-crds).

The per-stack counts of what was checked close the test run (``pytest_terminal_summary`` in conftest.py)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from infra import versions

from .conftest import CRD_TALLIES, Deployment, plain
from .crd_validation import (
    CrdsNotFoundError,
    Tally,
    Validator,
    Violation,
    chart_folder,
    crd_documents,
    crds_dir,
    is_custom_resource_type,
    load_crds,
    missing_folders,
)


@pytest.fixture(scope="module")
def crds_root() -> Path:
    """The CRD folder, or every test that needs it fails (in CI too) saying where it is expected."""
    try:
        return crds_dir()
    except CrdsNotFoundError as error:
        message = str(error)
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="module")
def validator(crds_root: Path) -> Validator:
    missing = missing_folders(crds_root, versions.CRD_CHARTS)
    if missing:
        pytest.fail(f"no CRDs for the pinned charts: add {', '.join(missing)} to {crds_root}", pytrace=False)
    return Validator(load_crds(crds_root, versions.CRD_CHARTS))


def custom_resources(deployment: Deployment) -> list[tuple[str, dict]]:
    """(name for messages, manifest) of every custom resource the deployment registers."""
    return [
        (f"{r.type.rsplit(':', 1)[-1]} {r.name!r}", plain(r.inputs))
        for r in deployment.resources
        if is_custom_resource_type(r.type)
    ]


def validate(validator: Validator, name: str, body: dict) -> list[Violation]:
    return validator.validate(name, body).violations


def test_every_pinned_chart_has_its_crd_folder(crds_root):
    missing = missing_folders(crds_root, versions.CRD_CHARTS)
    assert not missing, (
        f"add {', '.join(missing)} to {crds_root}: the CRD files from that chart version's release tag "
        f"(see {crds_root / 'README.md'})"
    )


def test_every_pinned_chart_records_the_app_version_it_ships():
    unrecorded = [f"{c.chart} {c.version}" for c in versions.CRD_CHARTS if " " not in c.release.app]
    assert not unrecorded, f"record the app version of {unrecorded} as its Release's app (infra/versions.py)"


def test_the_recorded_prometheus_operator_version_is_the_one_its_crds_carry(crds_root):
    (chart,) = [c for c in versions.CRD_CHARTS if c.app == "prometheus-operator"]
    folder = crds_root / chart_folder(chart)
    carried = {
        document["metadata"]["annotations"]["operator.prometheus.io/version"]
        for path in folder.glob("*.yaml")
        for document in crd_documents(path)
    }
    assert carried == {chart.release.app_version.removeprefix("v")}


def test_every_custom_resource_validates_against_the_pinned_crds(stack, validator, request):
    name_of_stack, deployment = stack
    tally = Tally()
    violations: list[Violation] = []
    for name, body in custom_resources(deployment):
        result = validator.validate(name, body)
        tally.add(result.tally)
        violations += result.violations
    request.config.stash.setdefault(CRD_TALLIES, {})[name_of_stack] = tally
    print(f"{name_of_stack}: {tally.summary()}")
    assert tally.resources == len(custom_resources(deployment)) > 0
    assert not violations, "\n".join(map(str, violations))
    assert not tally.not_evaluable, "rules not evaluated:\n" + "\n".join(map(str, tally.not_evaluable))


def test_the_karpenter_rules_are_evaluated_on_prod(prod, validator):
    evaluated = Tally()
    for name, body in custom_resources(prod):
        if body["kind"] in ("NodePool", "EC2NodeClass"):
            evaluated.add(validator.validate(name, body).tally)
    crds = {crd.rsplit(" ", 1)[-1] for crd, _, _ in evaluated.cel_rules}
    assert crds == {"NodePool", "EC2NodeClass"}
    assert evaluated.cel_evaluated > len(evaluated.cel_rules) > 0


def resource(deployment: Deployment, kind: str) -> tuple[str, dict]:
    return copy.deepcopy(next((n, b) for n, b in custom_resources(deployment) if b["kind"] == kind))


def test_a_custom_resource_with_an_unknown_field_fails(prod, validator):
    name, monitor = resource(prod, "ServiceMonitor")
    monitor["spec"]["endpoints"][0]["scrapeEvery"] = "30s"
    (violation,) = validate(validator, name, monitor)
    assert violation.resource == name
    assert violation.path == "spec.endpoints[0].scrapeEvery"
    assert violation.rule == "additionalProperties: false (structural schema)"
    assert "would prune" in str(violation)


def test_a_custom_resource_with_a_wrong_type_fails(prod, validator):
    name, cluster = resource(prod, "RayCluster")
    cluster["spec"]["workerGroupSpecs"][0]["maxReplicas"] = "8"
    (violation,) = validate(validator, name, cluster)
    assert (violation.resource, violation.path) == (name, "spec.workerGroupSpecs[0].maxReplicas")
    assert violation.rule == "type: 'integer'"


def test_a_node_pool_requirement_that_breaks_a_karpenter_rule_fails(prod, validator):
    name, pool = resource(prod, "NodePool")
    pool["spec"]["template"]["spec"]["requirements"].append({"key": "kubernetes.io/hostname", "operator": "Exists"})
    index = len(pool["spec"]["template"]["spec"]["requirements"]) - 1
    violations = validate(validator, name, pool)
    (violation,) = [v for v in violations if v.rule == 'self != "kubernetes.io/hostname"']
    assert (violation.resource, violation.path) == (name, f"spec.template.spec.requirements[{index}].key")
    assert 'label "kubernetes.io/hostname" is restricted' in violation.message


def test_a_node_pool_in_requirement_without_values_breaks_a_karpenter_rule(prod, validator):
    name, pool = resource(prod, "NodePool")
    pool["spec"]["template"]["spec"]["requirements"][0]["values"] = []
    (violation,) = validate(validator, name, pool)
    assert violation.path == "spec.template.spec.requirements"
    assert violation.rule == "self.all(x, x.operator == 'In' ? x.values.size() != 0 : true)"
    assert "operator 'In' must have a value defined" in violation.message


def closed_objects_and_typed_leaves(body: dict, schema: dict) -> tuple[list[list], list[tuple[list, str]]]:
    """Key paths of every object in ``body`` whose schema refuses undeclared fields, and of every string, integer
    or boolean leaf whose schema has that one type (with the type)."""
    closed, leaves = [], []

    def walk(value, node, keys):
        if isinstance(value, dict):
            preserves = node.get("x-kubernetes-preserve-unknown-fields")
            if node.get("properties") and "additionalProperties" not in node and not preserves:
                closed.append(keys)
            for key, item in value.items():
                sub = (node.get("properties") or {}).get(key)
                if sub is None and isinstance(node.get("additionalProperties"), dict):
                    sub = node["additionalProperties"]
                if sub is not None:
                    walk(item, sub, [*keys, key])
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for index, item in enumerate(value):
                walk(item, node["items"], [*keys, index])
        elif node.get("type") in ("string", "integer", "boolean") and not node.get("x-kubernetes-int-or-string"):
            leaves.append((keys, node["type"]))

    walk(body, schema, [])
    return closed, leaves


def dotted(keys: list) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")


def at(body: dict, keys: list):
    for key in keys:
        body = body[key]
    return body


def test_every_closed_object_refuses_an_unknown_field_and_every_typed_leaf_a_wrong_type(prod, validator):
    """Exhaustive over the prod custom resources: one mutation at a time, each caught at its own path (``kind`` and
    ``apiVersion`` choose the CRD instead: another test covers a kind no CRD serves)."""
    wrong = {"string": 7, "integer": "7", "boolean": "true"}
    missed = []
    for name, body in custom_resources(prod):
        crd = validator.crds[(body["apiVersion"], body["kind"])]
        closed, leaves = closed_objects_and_typed_leaves(body, crd.schema)
        for keys in closed:
            broken = copy.deepcopy(body)
            at(broken, keys)["zzUnknown"] = 1
            if dotted([*keys, "zzUnknown"]) not in {v.path for v in validate(validator, name, broken)}:
                missed.append(f"{name}: unknown field under {dotted(keys)}")
        for keys, type_ in leaves:
            if keys in (["kind"], ["apiVersion"]):
                continue
            broken = copy.deepcopy(body)
            at(broken, keys[:-1])[keys[-1]] = wrong[type_]
            if dotted(keys) not in {v.path for v in validate(validator, name, broken)}:
                missed.append(f"{name}: {type_} {dotted(keys)} given {wrong[type_]!r}")
    assert not missed, "\n".join(missed)
