"""Validate custom resources against the upstream CustomResourceDefinitions, as the API server would on create.

The CRDs are read in place from ``<crds dir>/<chart name>-<chart version>/`` for each chart pinned in
``infra/versions.py`` (``CRD_CHARTS``); ``<crds dir>`` is ``$GENEPOOL_CRDS_DIR`` or else ``../shared/crds`` beside
the repository (docs/architecture.md#custom-resources-against-upstream-crds). For each resource, in the API
server's order:

1. **Defaults** of the structural schema are applied (a rule sees a defaulted field as set).
2. **Schema**: the served version's ``openAPIV3Schema``, turned into a JSON schema and checked with ``jsonschema``
   (types, enums, required, patterns, bounds, formats; ``x-kubernetes-int-or-string`` as integer-or-string). A field
   the structural schema does not declare is an error (the API server would prune it silently), unless the node
   has ``x-kubernetes-preserve-unknown-fields`` or ``additionalProperties``. ``metadata`` is checked as ObjectMeta.
   ``x-kubernetes-list-type`` ``set`` and ``map`` lists must not repeat an item or a key.
3. **CEL**: every ``x-kubernetes-validations`` rule on a node the resource has a value for is evaluated with
   ``self`` bound to that value (``common-expression-language``, plus the shims in ``kubernetes_cel``). A rule that
   refers to ``oldSelf`` is a *transition rule*: the API server evaluates it only on update, so on create it is
   counted as not applicable (with ``optionalOldSelf: true`` it is evaluated with ``oldSelf`` unset, as the API
   server does). A rule that calls a function neither the library nor a shim provides, or does not compile, is
   *not evaluable* and reported by name.

Nothing is checked on the wire: this is the offline half of what ``pulumi up`` meets at the API server.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime
import functools
import ipaddress
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cel
import jsonschema
import yaml

from infra.versions import CrdChart

from .kubernetes_cel import SHIMS, unknown_functions

CRDS_DIR_ENV = "GENEPOOL_CRDS_DIR"
"""Environment variable naming the folder of ``<chart>-<version>/`` CRD folders, instead of the default."""

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_CRDS_DIR = REPOSITORY.parent / "shared" / "crds"
"""``../shared/crds`` from the repository root: where CI and every worktree find the shared test data."""

PROVIDER_GROUPS = frozenset({"helm.sh", "yaml", "kustomize"})
"""pulumi-kubernetes types that are not Kubernetes objects (Helm releases and charts, YAML and Kustomize groups)."""


class CrdsNotFoundError(Exception):
    """The CRD folder is missing: says where it is expected and how to point elsewhere."""


def crds_dir() -> Path:
    """The folder holding the ``<chart>-<version>/`` CRD folders; raises :class:`CrdsNotFoundError` if absent."""
    override = os.environ.get(CRDS_DIR_ENV)
    root = Path(override) if override else DEFAULT_CRDS_DIR
    if not root.is_dir():
        source = f"${CRDS_DIR_ENV}" if override else f"the default (../shared/crds from {REPOSITORY})"
        raise CrdsNotFoundError(
            f"the upstream CRDs are expected in {root} ({source}), which does not exist: put shared/ beside the "
            f"repository, or set {CRDS_DIR_ENV} to the folder holding the <chart>-<version>/ folders"
        )
    return root


def chart_folder(chart: CrdChart) -> str:
    """``<chart name>-<chart version>``: the chart name is the last segment of the reference (OCI or repository)."""
    return f"{chart.chart.rstrip('/').rsplit('/', 1)[-1]}-{chart.version}"


def missing_folders(root: Path, charts: Iterable[CrdChart]) -> list[str]:
    """The folders the pinned charts need that ``root`` lacks (or holds no CRD file in)."""
    return [
        chart_folder(chart)
        for chart in charts
        if not (root / chart_folder(chart)).is_dir() or not any((root / chart_folder(chart)).glob("*.yaml"))
    ]


class _CrdLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML as the API server's decoder reads it: a plain ``=`` is the string ``"="`` (PyYAML's YAML 1.1 ``value``
    tag, found in prometheus-operator's matcher enums, has no constructor). LibYAML's parser when PyYAML has it:
    the CRD files are megabytes."""


_CrdLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


@functools.cache
def crd_documents(path: Path) -> list[dict[str, Any]]:
    """The CustomResourceDefinitions in a YAML file (other documents skipped); read once per run, not to be
    changed by callers."""
    documents = yaml.load_all(path.read_text(), Loader=_CrdLoader)
    return [d for d in documents if d and d.get("kind") == "CustomResourceDefinition"]


@dataclass(frozen=True)
class CrdVersion:
    """One served version of one CRD."""

    api_version: str
    kind: str
    schema: dict[str, Any]
    """The ``openAPIV3Schema``."""
    source: str
    """``<folder>/<file>`` it came from."""


def load_crds(root: Path, charts: Iterable[CrdChart]) -> dict[tuple[str, str], CrdVersion]:
    """Every served version of every CRD in the pinned charts' folders, by ``(apiVersion, kind)``."""
    crds: dict[tuple[str, str], CrdVersion] = {}
    for chart in charts:
        folder = root / chart_folder(chart)
        for path in sorted(folder.glob("*.yaml")):
            for document in crd_documents(path):
                spec = document["spec"]
                for version in spec["versions"]:
                    if not version.get("served", False):
                        continue
                    api_version = f"{spec['group']}/{version['name']}"
                    crds[(api_version, spec["names"]["kind"])] = CrdVersion(
                        api_version,
                        spec["names"]["kind"],
                        version["schema"]["openAPIV3Schema"],
                        f"{folder.name}/{path.name}",
                    )
    return crds


def is_custom_resource_type(type_token: str) -> bool:
    """A ``kubernetes:<group>/<version>:<Kind>`` registration of a kind no Kubernetes release serves.

    Kubernetes' own API groups are unqualified (``core``, ``apps``, ``batch``, …) or end in ``.k8s.io``; a CRD in
    such a group needs Kubernetes' API approval, so the program's custom kinds are in other groups."""
    if not type_token.startswith("kubernetes:"):
        return False
    group = type_token.split(":")[1].split("/")[0]
    return "." in group and not group.endswith(".k8s.io") and group not in PROVIDER_GROUPS


# --- results ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One way a resource would be refused (or silently changed) by the API server."""

    resource: str
    path: str
    """Field path in the resource, e.g. ``spec.template.spec.requirements[0].key``."""
    rule: str
    """The schema keyword and its value, or the CEL rule text."""
    message: str

    def __str__(self) -> str:
        return f"{self.resource}: {self.path or '<root>'}: {self.message} [rule: {self.rule}]"


@dataclass(frozen=True)
class UnevaluatedRule:
    """A CEL rule that applies to the resource but could not be evaluated."""

    crd: str
    path: str
    rule: str
    reason: str

    def __str__(self) -> str:
        return f"{self.crd} {self.path}: {self.rule!r} ({self.reason})"


@dataclass
class Tally:
    """What was checked: the counts a test prints."""

    resources: int = 0
    schema_checks: int = 0
    """Values (every node of every resource, defaults included) checked against their schema node."""
    cel_evaluated: int = 0
    """CEL rule evaluations (a rule on a list item counts once per item)."""
    cel_rules: set[tuple[str, str, str]] = field(default_factory=set)
    """Distinct rules evaluated: (CRD, schema path, rule)."""
    transition_rules: int = 0
    """Rule instances that refer to ``oldSelf`` without ``optionalOldSelf``: not applicable on create."""
    not_evaluable: list[UnevaluatedRule] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.resources += other.resources
        self.schema_checks += other.schema_checks
        self.cel_evaluated += other.cel_evaluated
        self.cel_rules |= other.cel_rules
        self.transition_rules += other.transition_rules
        self.not_evaluable += other.not_evaluable

    def summary(self) -> str:
        return (
            f"{self.resources} custom resources, {self.schema_checks} values schema-checked, "
            f"{self.cel_evaluated} CEL rule evaluations ({len(self.cel_rules)} distinct rules), "
            f"{self.transition_rules} transition rules not applicable on create, "
            f"{len(self.not_evaluable)} rules not evaluable"
        )


@dataclass
class Result:
    violations: list[Violation] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)


# --- schema ----------------------------------------------------------------------------------------------------

OBJECT_META: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {
            "type": "string",
            "maxLength": 253,
            "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
        },
        "generateName": {"type": "string"},
        "namespace": {"type": "string", "maxLength": 63, "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "ownerReferences": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": False,
}
"""The writable ObjectMeta fields a create may carry (name a DNS subdomain, namespace a DNS label)."""

_KEYWORDS = (
    "type",
    "enum",
    "required",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
)
"""OpenAPI v3.0 keywords with the meaning JSON Schema draft 4 gives them (boolean ``exclusiveMinimum`` included)."""


def json_schema(node: Mapping[str, Any], root: bool = False) -> dict[str, Any]:
    """A structural schema node as a JSON Schema (draft 4) that also refuses what the API server would prune."""
    out: dict[str, Any] = {key: node[key] for key in _KEYWORDS if key in node}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        if "anyOf" not in node:
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    for combinator in ("allOf", "anyOf", "oneOf"):
        if combinator in node:
            out[combinator] = [json_schema(sub) for sub in node[combinator]]
    if "not" in node:
        out["not"] = json_schema(node["not"])
    if isinstance(node.get("items"), Mapping):
        out["items"] = json_schema(node["items"])
    properties = {name: json_schema(sub) for name, sub in (node.get("properties") or {}).items()}
    if node.get("x-kubernetes-embedded-resource"):
        properties.setdefault("apiVersion", {"type": "string"})
        properties.setdefault("kind", {"type": "string"})
        properties.setdefault("metadata", {"type": "object"})
    if root:
        properties["metadata"] = OBJECT_META
    if properties:
        out["properties"] = properties
    additional = node.get("additionalProperties")
    if isinstance(additional, Mapping):
        out["additionalProperties"] = json_schema(additional)
    elif isinstance(additional, bool):
        out["additionalProperties"] = additional
    elif node.get("type") == "object" and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


FORMATS = jsonschema.FormatChecker(formats=())
"""The formats the upstream CRDs use and the API server checks (others pass, as unknown formats do there)."""


@FORMATS.checks("int32")
def _int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@FORMATS.checks("int64")
def _int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        if "T" not in value.upper() or parsed.tzinfo is None:
            raise ValueError(f"{value!r} is not an RFC 3339 date-time with a time zone")
    return True


@FORMATS.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    if isinstance(value, str):
        datetime.date.fromisoformat(value)
    return True


@FORMATS.checks("byte", raises=ValueError)
def _byte(value: object) -> bool:
    if isinstance(value, str):
        base64.b64decode(value, validate=True)
    return True


@FORMATS.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    if isinstance(value, str):
        uuid.UUID(value)
    return True


@FORMATS.checks("ipv4", raises=ValueError)
def _ipv4(value: object) -> bool:
    if isinstance(value, str):
        ipaddress.IPv4Address(value)
    return True


@FORMATS.checks("ipv6", raises=ValueError)
def _ipv6(value: object) -> bool:
    if isinstance(value, str):
        ipaddress.IPv6Address(value)
    return True


@FORMATS.checks("cidr", raises=ValueError)
def _cidr(value: object) -> bool:
    if isinstance(value, str):
        ipaddress.ip_network(value, strict=False)
    return True


# --- walking a value with its schema ----------------------------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def apply_defaults(value: Any, node: Mapping[str, Any]) -> None:
    """Set every absent property that has a ``default``, recursively (into defaults too), in place."""
    if isinstance(value, dict):
        for name, sub in (node.get("properties") or {}).items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
        for key, item in value.items():
            sub = field_schema(node, key)
            if sub is not None:
                apply_defaults(item, sub)
    elif isinstance(value, list) and isinstance(node.get("items"), Mapping):
        for item in value:
            apply_defaults(item, node["items"])


def field_schema(node: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """The schema of field ``key`` of an object node: its property, else its ``additionalProperties`` (a map), else
    none (an undeclared field)."""
    properties = node.get("properties") or {}
    if key in properties:
        return properties[key]
    additional = node.get("additionalProperties")
    return additional if isinstance(additional, Mapping) else None


def schema_nodes(
    value: Any, node: Mapping[str, Any], path: str = "", schema_path: str = ""
) -> Iterator[tuple[Any, Mapping[str, Any], str, str]]:
    """Every (value, its schema node, its path, the node's path in the schema) in ``value``, parents first.

    Schema paths write list items as ``[*]`` and map values as ``{*}``; undeclared fields are left out."""
    yield value, node, path, schema_path or "<root>"
    if isinstance(value, dict):
        for key, item in value.items():
            sub = field_schema(node, key)
            if sub is not None:
                child_path = _join(schema_path, key) if key in (node.get("properties") or {}) else schema_path + "{*}"
                yield from schema_nodes(item, sub, _join(path, key), child_path)
    elif isinstance(value, list) and isinstance(node.get("items"), Mapping):
        for index, item in enumerate(value):
            yield from schema_nodes(item, node["items"], _join(path, index), schema_path + "[*]")


def list_type_violations(resource: str, value: Any, node: Mapping[str, Any], path: str) -> list[Violation]:
    """Repeated items of a ``set`` list, repeated keys of a ``map`` list (the API server refuses both)."""
    list_type = node.get("x-kubernetes-list-type")
    if not isinstance(value, list) or list_type not in ("set", "map"):
        return []
    keys = node.get("x-kubernetes-list-map-keys", [])
    seen: set[str] = set()
    violations = []
    for index, item in enumerate(value):
        identity = repr(item) if list_type == "set" else repr([item.get(k) for k in keys])
        if identity in seen:
            what = (
                f"item {item!r}"
                if list_type == "set"
                else f"key {dict(zip(keys, (item.get(k) for k in keys), strict=True))}"
            )
            rule = f"x-kubernetes-list-type: {list_type}" + (f" (keys {keys})" if keys else "")
            violations.append(Violation(resource, _join(path, index), rule, f"duplicate {what}"))
        seen.add(identity)
    return violations


def _schema_path(path: Iterable[str | int]) -> str:
    out = ""
    for key in path:
        out = _join(out, key)
    return out


def schema_validator(schema: Mapping[str, Any]) -> jsonschema.Draft4Validator:
    """A JSON-schema validator for a CRD version's ``openAPIV3Schema`` (converted by :func:`json_schema`)."""
    return jsonschema.Draft4Validator(json_schema(schema, root=True), format_checker=FORMATS)


def schema_violations(resource: str, body: Mapping[str, Any], validator: jsonschema.Draft4Validator) -> list[Violation]:
    """The JSON-schema errors of ``body`` (defaults applied), unknown fields reported one by one."""
    violations = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        path = _schema_path(error.absolute_path)
        if error.validator == "additionalProperties" and error.validator_value is False:
            declared = error.schema.get("properties", {})
            for extra in sorted(set(error.instance) - set(declared)):
                violations.append(
                    Violation(
                        resource,
                        _join(path, extra),
                        "additionalProperties: false (structural schema)",
                        f"unknown field {extra!r}: the API server would prune it",
                    )
                )
            continue
        violations.append(Violation(resource, path, f"{error.validator}: {error.validator_value!r}", error.message))
    return violations


# --- the validator ---------------------------------------------------------------------------------------------


def cel_value(value: Any, node: Mapping[str, Any]) -> Any:
    """``value`` as Kubernetes hands it to CEL: strings of format ``date-time``/``date`` as timestamps and ``byte``
    as bytes, recursively (``duration`` strings stay strings: no rule in the CRDs reads one)."""
    if isinstance(value, dict):
        return {key: _cel_field(item, field_schema(node, key)) for key, item in value.items()}
    if isinstance(value, list) and isinstance(node.get("items"), Mapping):
        return [cel_value(item, node["items"]) for item in value]
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # a malformed value is the schema's error; CEL then sees the string
            if node.get("format") == "date-time":
                return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if node.get("format") == "date":
                return datetime.datetime.combine(datetime.date.fromisoformat(value), datetime.time(), datetime.UTC)
            if node.get("format") == "byte":
                return base64.b64decode(value, validate=True)
    return value


def _cel_field(value: Any, node: Mapping[str, Any] | None) -> Any:
    return value if node is None else cel_value(value, node)


class Validator:
    """Validates resources against a set of CRD versions (from :func:`load_crds`), counting what it checked."""

    def __init__(self, crds: Mapping[tuple[str, str], CrdVersion]) -> None:
        self.crds = crds
        self._programs: dict[str, Any] = {}
        self._schemas: dict[tuple[str, str], jsonschema.Draft4Validator] = {}

    def validate(self, resource: str, body: Mapping[str, Any]) -> Result:
        """Default, then check ``body`` (a manifest: plain JSON values) against its CRD; ``resource`` names it."""
        result = Result()
        crd = self.crds.get((body.get("apiVersion", ""), body.get("kind", "")))
        if crd is None:
            known = sorted(f"{api}:{kind}" for api, kind in self.crds)
            result.violations.append(
                Violation(
                    resource,
                    "",
                    "served CRD version",
                    f"no CRD serves {body.get('apiVersion')}:{body.get('kind')} (loaded: {known})",
                )
            )
            return result
        body = copy.deepcopy(dict(body))
        apply_defaults(body, crd.schema)
        result.tally.resources = 1
        key = (crd.api_version, crd.kind)
        if key not in self._schemas:
            self._schemas[key] = schema_validator(crd.schema)
        result.violations += schema_violations(resource, body, self._schemas[key])
        for value, node, path, schema_path in schema_nodes(body, crd.schema):
            result.tally.schema_checks += 1
            result.violations += list_type_violations(resource, value, node, path)
            if value is not None:
                for rule in node.get("x-kubernetes-validations") or []:
                    self._evaluate(resource, crd, rule, (value, node), (path, schema_path), result)
        return result

    def _compiled(self, source: str) -> Any:
        if source not in self._programs:
            self._programs[source] = cel.compile(source)
        return self._programs[source]

    def _evaluate(
        self,
        resource: str,
        crd: CrdVersion,
        rule: Mapping[str, Any],
        at: tuple[Any, Mapping[str, Any]],
        paths: tuple[str, str],
        result: Result,
    ) -> None:
        """Evaluate one rule with ``self`` bound to the value of ``at`` (value, schema node); ``paths`` are the
        value's path and its schema node's."""
        value, node = at
        path, schema_path = paths
        source = rule["rule"]
        where = f"{crd.source} {crd.kind}"
        try:
            program = self._compiled(source)
        except ValueError as error:
            result.tally.not_evaluable.append(UnevaluatedRule(where, schema_path, source, f"does not compile: {error}"))
            return
        missing = unknown_functions(program.functions())
        if missing:
            reason = f"calls {', '.join(missing)}, which neither the CEL library nor a shim provides"
            result.tally.not_evaluable.append(UnevaluatedRule(where, schema_path, source, reason))
            return
        variables = {"self": cel_value(value, node)}
        if "oldSelf" in program.variables():
            if not rule.get("optionalOldSelf"):
                result.tally.transition_rules += 1
                return
            variables["oldSelf"] = cel.OptionalValue.none()
        result.tally.cel_evaluated += 1
        result.tally.cel_rules.add((where, schema_path, source))
        context = cel.Context(variables=variables, functions=SHIMS)
        try:
            verdict = program.execute(context)
        except (KeyError, TypeError, RuntimeError, ValueError) as error:
            detail = f"no such key {error}" if isinstance(error, KeyError) else str(error).split(". ")[0]
            result.violations.append(
                Violation(resource, _rule_path(path, rule), source, f"rule could not be satisfied: {detail}")
            )
            return
        if verdict is not True:
            result.violations.append(Violation(resource, _rule_path(path, rule), source, _message(rule, context)))


def _rule_path(path: str, rule: Mapping[str, Any]) -> str:
    """Where a failed rule points: its node, or ``fieldPath`` below it (a JSONPath like ``.spec.x``)."""
    field_path = rule.get("fieldPath", "")
    return (path + field_path) if path else field_path.lstrip(".")


def _message(rule: Mapping[str, Any], context: Any) -> str:
    """The rule's message, with its ``reason`` when given. A ``messageExpression`` is evaluated and used instead;
    if it fails, the API server falls back to ``message``, and so does this."""
    message = rule.get("message") or f"failed rule: {rule['rule']}"
    if "messageExpression" in rule:
        with contextlib.suppress(KeyError, TypeError, RuntimeError, ValueError):
            message = str(cel.evaluate(rule["messageExpression"], context))
    return f"{message} ({rule['reason']})" if "reason" in rule else message
