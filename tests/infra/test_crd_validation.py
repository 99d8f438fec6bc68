"""The custom-resource validator (crd_validation.py) and its Kubernetes CEL shims, on small CRDs written here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra import versions
from infra.versions import CrdChart, Release

from . import crd_validation, kubernetes_cel
from .crd_validation import (
    CrdsNotFoundError,
    CrdVersion,
    Validator,
    chart_folder,
    crds_dir,
    is_custom_resource_type,
    load_crds,
    missing_folders,
)

API_VERSION = "example.io/v1"


def widget_validator(spec: dict[str, Any]) -> Validator:
    """A validator for kind Widget whose ``spec`` has the schema ``spec``."""
    schema = {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
        },
    }
    return Validator({(API_VERSION, "Widget"): CrdVersion(API_VERSION, "Widget", schema, "example-1.0.0/widgets.yaml")})


def widget(spec: Any) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def violations(validator: Validator, spec: Any) -> list[tuple[str, str]]:
    """(path, rule) of each violation of a Widget with ``spec``."""
    return [(v.path, v.rule) for v in validator.validate("Widget w", widget(spec)).violations]


def obj(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **extra}


def rule(source: str, **extra: Any) -> dict[str, Any]:
    return {"x-kubernetes-validations": [{"rule": source, **extra}]}


# --- schema ----------------------------------------------------------------------------------------------------


def test_a_field_the_structural_schema_does_not_declare_is_reported_as_pruned():
    validator = widget_validator(obj({"size": {"type": "integer"}}))
    (violation,) = validator.validate("Widget w", widget({"size": 1, "colour": "red"})).violations
    assert (violation.path, violation.rule) == ("spec.colour", "additionalProperties: false (structural schema)")
    assert str(violation).startswith("Widget w: spec.colour: unknown field 'colour'")


def test_preserve_unknown_fields_keeps_undeclared_fields():
    validator = widget_validator(obj({}, **{"x-kubernetes-preserve-unknown-fields": True}))
    assert violations(validator, {"anything": {"goes": [1]}}) == []


def test_additional_properties_declare_a_map_and_check_its_values():
    validator = widget_validator({"type": "object", "additionalProperties": {"type": "string"}})
    assert violations(validator, {"a": "x"}) == []
    assert violations(validator, {"a": 1}) == [("spec.a", "type: 'string'")]


def test_a_wrong_type_is_reported_at_its_path():
    validator = widget_validator(obj({"items": {"type": "array", "items": obj({"n": {"type": "integer"}})}}))
    assert violations(validator, {"items": [{"n": 1}, {"n": "2"}]}) == [("spec.items[1].n", "type: 'integer'")]


def test_int_or_string_takes_either_and_nothing_else():
    validator = widget_validator(
        obj({"port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}})
    )
    assert violations(validator, {"port": 8080}) == violations(validator, {"port": "http"}) == []
    assert [path for path, _ in violations(validator, {"port": True})] == ["spec.port"]


def test_enum_required_and_pattern_are_checked():
    validator = widget_validator(
        obj(
            {"mode": {"type": "string", "enum": ["a", "b"]}, "name": {"type": "string", "pattern": "^[a-z]+$"}},
            required=["name"],
        )
    )
    assert violations(validator, {"mode": "c", "name": "Ab"}) == [
        ("spec.mode", "enum: ['a', 'b']"),
        ("spec.name", "pattern: '^[a-z]+$'"),
    ]
    assert violations(validator, {}) == [("spec", "required: ['name']")]


def test_formats_int32_and_date_time_are_checked():
    validator = widget_validator(
        obj({"n": {"type": "integer", "format": "int32"}, "at": {"type": "string", "format": "date-time"}})
    )
    assert violations(validator, {"n": 2**31 - 1, "at": "2026-12-06T10:00:00Z"}) == []
    assert violations(validator, {"n": 2**31, "at": "6 December"}) == [
        ("spec.at", "format: 'date-time'"),
        ("spec.n", "format: 'int32'"),
    ]


def test_null_is_refused_unless_nullable():
    validator = widget_validator(obj({"a": {"type": "string"}, "b": {"type": "string", "nullable": True}}))
    assert violations(validator, {"b": None}) == []
    assert violations(validator, {"a": None}) == [("spec.a", "type: 'string'")]


def test_metadata_is_checked_as_object_meta():
    validator = widget_validator(obj({}))
    body = widget({}) | {"metadata": {"name": "Not_A_Name", "labels": {"a": "b"}, "label": {}}}
    assert [(v.path, v.rule.split(":")[0]) for v in validator.validate("w", body).violations] == [
        ("metadata.label", "additionalProperties"),
        ("metadata.name", "pattern"),
    ]


def test_a_set_list_refuses_a_repeated_item_and_a_map_list_a_repeated_key():
    validator = widget_validator(
        obj(
            {
                "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                "ports": {
                    "type": "array",
                    "items": obj({"name": {"type": "string"}, "port": {"type": "integer"}}),
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                },
            }
        )
    )
    spec = {"tags": ["a", "b", "a"], "ports": [{"name": "http", "port": 80}, {"name": "http", "port": 8080}]}
    assert violations(validator, spec) == [
        ("spec.tags[2]", "x-kubernetes-list-type: set"),
        ("spec.ports[1]", "x-kubernetes-list-type: map (keys ['name'])"),
    ]


def test_defaults_are_applied_before_the_schema_and_the_rules():
    validator = widget_validator(
        obj({"mode": {"type": "string", "default": "fast", "enum": ["fast", "slow"]}}, **rule("self.mode == 'fast'"))
    )
    result = validator.validate("w", widget({}))
    assert result.violations == []
    assert result.tally.cel_evaluated == 1
    assert result.tally.schema_checks == 6  # the resource, apiVersion, kind, metadata, spec and its defaulted mode


def test_a_kind_no_loaded_crd_serves_is_a_violation():
    result = widget_validator(obj({})).validate("w", widget({}) | {"kind": "Gadget"})
    (violation,) = result.violations
    assert violation.rule == "served CRD version" and "example.io/v1:Gadget" in violation.message


# --- CEL -------------------------------------------------------------------------------------------------------


def test_a_rule_on_list_items_is_evaluated_for_each_item_and_names_the_failing_one():
    validator = widget_validator(
        obj({"keys": {"type": "array", "items": {"type": "string", **rule("self != 'forbidden'", message="no")}}})
    )
    result = validator.validate("Widget w", widget({"keys": ["a", "forbidden", "b"]}))
    (violation,) = result.violations
    assert (violation.path, violation.rule, violation.message) == ("spec.keys[1]", "self != 'forbidden'", "no")
    assert result.tally.cel_evaluated == 3
    assert len(result.tally.cel_rules) == 1


def test_a_rule_on_an_absent_field_is_not_evaluated():
    validator = widget_validator(obj({"a": {"type": "string", **rule("self == 'x'")}}))
    assert validator.validate("w", widget({})).tally.cel_evaluated == 0


def test_a_failed_rule_reports_its_field_path_and_reason():
    validator = widget_validator(
        obj(
            {"a": {"type": "integer"}},
            **rule("self.a > 1", message="too small", fieldPath=".a", reason="FieldValueInvalid"),
        )
    )
    (violation,) = validator.validate("w", widget({"a": 1})).violations
    assert (violation.path, violation.message) == ("spec.a", "too small (FieldValueInvalid)")


def test_a_message_expression_is_evaluated():
    validator = widget_validator(
        obj({"a": {"type": "integer"}}, **rule("self.a > 1", messageExpression="'got ' + string(self.a)"))
    )
    (violation,) = validator.validate("w", widget({"a": 1})).violations
    assert violation.message == "got 1"


def test_a_rule_that_errors_is_a_violation():
    validator = widget_validator(obj({"a": {"type": "string"}}, **rule("self.a == 'x'")))
    (violation,) = validator.validate("w", widget({})).violations
    assert violation.message == "rule could not be satisfied: no such key 'a'"


def test_a_transition_rule_is_counted_but_not_applied_on_create():
    validator = widget_validator(obj({"a": {"type": "string", **rule("self == oldSelf")}}))
    result = validator.validate("w", widget({"a": "x"}))
    assert result.violations == []
    assert (result.tally.transition_rules, result.tally.cel_evaluated) == (1, 0)


def test_a_transition_rule_with_optional_old_self_is_evaluated_with_old_self_unset():
    validator = widget_validator(
        obj({"a": {"type": "string", **rule("!oldSelf.hasValue() && self == 'new'", optionalOldSelf=True)}})
    )
    assert violations(validator, {"a": "new"}) == []
    assert violations(validator, {"a": "old"}) == [("spec.a", "!oldSelf.hasValue() && self == 'new'")]


def test_a_rule_calling_an_unknown_function_is_reported_by_name_not_skipped():
    validator = widget_validator(
        obj({"cpu": {"type": "string", **rule("quantity(self).isGreaterThan(quantity('1'))")}})
    )
    result = validator.validate("w", widget({"cpu": "2"}))
    (unevaluated,) = result.tally.not_evaluable
    assert unevaluated.crd == "example-1.0.0/widgets.yaml Widget"
    assert unevaluated.path == "spec.cpu"
    assert "isGreaterThan, quantity" in unevaluated.reason
    assert "not evaluable" in result.tally.summary() and "1 rules not evaluable" in result.tally.summary()


def test_a_rule_that_does_not_compile_is_reported_by_name():
    validator = widget_validator(obj({"a": {"type": "string", **rule("self ==")}}))
    (unevaluated,) = validator.validate("w", widget({"a": "x"})).tally.not_evaluable
    assert unevaluated.rule == "self ==" and unevaluated.reason.startswith("does not compile")


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("self.find('^[^@]+') == 'al2023'", "al2023@latest"),
        ("self.find('[0-9]+') == ''", "no digits"),
        ("self.split('@') == ['a', 'b', 'c'] && self.split('@', 2) == ['a', 'b@c']", "a@b@c"),
        ("self.findAll('[a-c]') == ['a', 'b', 'c'] && self.findAll('[a-c]', 1) == ['a']", "a@b@c"),
        ("self.lowerAscii() == 'ab' && self.upperAscii() == 'AB'", "aB"),
        ("self.trim() == 'x'", "  x "),
        ("['a', 'b'].join('-') == 'a-b'", "_"),
        ("isURL(self) && !isURL('not a url')", "https://example.invalid/path"),
    ],
)
def test_the_kubernetes_string_functions_behave_as_documented(source, value):
    validator = widget_validator(obj({"a": {"type": "string", **rule(source)}}))
    result = validator.validate("w", widget({"a": value}))
    assert result.violations == [] and result.tally.cel_evaluated == 1


def test_operators_and_standard_functions_are_known_and_others_are_not():
    assert kubernetes_cel.unknown_functions(["_&&_", "@in", "!_", "size", "find", "quantity"]) == ["quantity"]


# --- where the CRDs come from ----------------------------------------------------------------------------------


def release(component: str, version: str, app: str) -> Release:
    return Release(component, version, dt.date(2025, 1, 1), None, "a test's release", app=app)


KARPENTER = CrdChart("oci://public.ecr.aws/karpenter/karpenter", release("Karpenter chart", "1.8.1", "Karpenter 1.8.1"))


def test_the_folder_is_the_chart_name_and_the_pinned_version():
    assert chart_folder(KARPENTER) == "karpenter-1.8.1"
    assert chart_folder(
        CrdChart(
            "kube-prometheus-stack", release("kube-prometheus-stack chart", "79.7.1", "prometheus-operator v0.86.2")
        )
    ) == ("kube-prometheus-stack-79.7.1")


def test_the_pinned_charts_name_folders_from_the_versions_module():
    folders = {chart_folder(c) for c in versions.CRD_CHARTS}
    assert folders == {
        f"kuberay-operator-{versions.KUBERAY_OPERATOR_VERSION}",
        f"kube-prometheus-stack-{versions.KUBE_PROMETHEUS_STACK_VERSION}",
        f"karpenter-{versions.KARPENTER_VERSION}",
    }


def write_crd(folder: Path, served: dict[str, bool]) -> None:
    folder.mkdir(parents=True)
    versions_ = [
        {"name": name, "served": is_served, "schema": {"openAPIV3Schema": {"type": "object"}}}
        for name, is_served in served.items()
    ]
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "spec": {"group": "example.io", "names": {"kind": "Widget"}, "versions": versions_},
    }
    (folder / "widgets.yaml").write_text("# copied from a tag\n---\n" + yaml.safe_dump(crd))


def test_a_moved_pin_reads_the_new_folder(tmp_path):
    write_crd(tmp_path / "karpenter-1.8.1", {"v1": True})
    write_crd(tmp_path / "karpenter-1.14.1", {"v1": True, "v2": True})
    moved = dataclasses.replace(KARPENTER, release=dataclasses.replace(KARPENTER.release, version="1.14.1"))
    assert {crd.source for crd in load_crds(tmp_path, [moved]).values()} == {"karpenter-1.14.1/widgets.yaml"}
    assert missing_folders(tmp_path, [moved]) == []
    assert missing_folders(
        tmp_path, [dataclasses.replace(KARPENTER, release=dataclasses.replace(KARPENTER.release, version="9.9.9"))]
    ) == ["karpenter-9.9.9"]


def test_only_served_versions_are_loaded(tmp_path):
    write_crd(tmp_path / "karpenter-1.8.1", {"v1beta1": False, "v1": True})
    assert list(load_crds(tmp_path, [KARPENTER])) == [("example.io/v1", "Widget")]


def test_a_plain_equals_sign_reads_as_a_string(tmp_path):
    path = tmp_path / "crd.yaml"
    path.write_text(
        textwrap.dedent("""\
        kind: CustomResourceDefinition
        enum:
        - '!='
        - =
        """)
    )
    assert crd_validation.crd_documents(path)[0]["enum"] == ["!=", "="]


def test_a_missing_crds_folder_says_where_it_is_expected(tmp_path, monkeypatch):
    monkeypatch.delenv(crd_validation.CRDS_DIR_ENV, raising=False)
    monkeypatch.setattr(crd_validation, "DEFAULT_CRDS_DIR", tmp_path / "shared" / "crds")
    with pytest.raises(CrdsNotFoundError, match=r"expected in .*/shared/crds .*set GENEPOOL_CRDS_DIR"):
        crds_dir()


def test_the_crds_folder_can_be_named_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(crd_validation.CRDS_DIR_ENV, str(tmp_path))
    assert crds_dir() == tmp_path
    monkeypatch.setenv(crd_validation.CRDS_DIR_ENV, str(tmp_path / "absent"))
    with pytest.raises(CrdsNotFoundError, match=r"absent \(\$GENEPOOL_CRDS_DIR\)"):
        crds_dir()


@pytest.mark.parametrize(
    ("type_token", "custom"),
    [
        ("kubernetes:karpenter.sh/v1:NodePool", True),
        ("kubernetes:monitoring.coreos.com/v1:PrometheusRule", True),
        ("kubernetes:ray.io/v1:RayCluster", True),
        ("kubernetes:apps/v1:Deployment", False),
        ("kubernetes:networking.k8s.io/v1:NetworkPolicy", False),
        ("kubernetes:helm.sh/v3:Release", False),
        ("kubernetes:yaml/v2:ConfigFile", False),
        ("aws:eks/cluster:Cluster", False),
    ],
)
def test_custom_resources_are_the_kinds_outside_kubernetes_own_groups(type_token, custom):
    assert is_custom_resource_type(type_token) is custom


def test_date_time_and_byte_strings_reach_the_rules_as_timestamps_and_bytes():
    validator = widget_validator(
        obj(
            {
                "at": {"type": "string", "format": "date-time"},
                "data": {"type": "string", "format": "byte"},
            },
            **rule("self.at > timestamp('2026-01-01T00:00:00Z') && self.data == b'hi'"),
        )
    )
    assert violations(validator, {"at": "2026-12-06T10:00:00Z", "data": "aGk="}) == []
    assert [p for p, _ in violations(validator, {"at": "2025-12-06T10:00:00Z", "data": "aGk="})] == ["spec"]
