"""Every shipped stack registers exactly the resources recorded in ``tests/infra/registrations/<stack>.json``.

A resource's URN is its identity to the engine: its type, its name and the types of its parent chain. Renaming a
resource, moving it under another parent or changing its type makes ``pulumi up`` delete the live resource and
create a new one (for a database volume or an EKS cluster, the data and the cluster go with it). Refactoring the
program must therefore leave, per stack, the set of URNs and what each resource is registered with unchanged:
parent, provider, inputs (secret markers kept, numbers as the engine sends them), dependencies, ``retainOnDelete``
and the options that decide replacement (aliases, protect, ignore/replace-on changes, …:
``conftest.REPLACEMENT_OPTIONS``). A deliberate change is recorded again with
``python -m tests.infra.test_resource_identity`` (from the repository root, with the ``test`` and ``infra`` extras)
and reviewed as a diff of these files; a resource that keeps its identity under a new name or parent needs a Pulumi
``aliases`` option, not a new record.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import KUBECONFIG, STACKS, Deployment, Registered, deploy

RECORDS = Path(__file__).parent / "registrations"


def record_of(resource: Registered) -> dict[str, Any]:
    """What the engine receives for ``resource`` besides its URN, as JSON-comparable values."""
    return {
        "parent": resource.parent,
        "provider": resource.provider,
        "inputs": resource.inputs,
        "dependencies": sorted(resource.dependencies),
        "retainOnDelete": resource.retain_on_delete,
        "options": resource.options,
    }


def records_of(deployment: Deployment) -> dict[str, dict[str, Any]]:
    """URN → :func:`record_of` for every resource the deployment registered, round-tripped through JSON."""
    return json.loads(json.dumps({r.urn: record_of(r) for r in deployment.resources}, sort_keys=True))


def recorded(stack: str) -> dict[str, dict[str, Any]]:
    return json.loads((RECORDS / f"{stack}.json").read_text())


def test_every_shipped_stack_has_a_record() -> None:
    assert sorted(path.stem for path in RECORDS.glob("*.json")) == sorted(STACKS)


def test_the_set_of_urns_is_unchanged(stack: tuple[str, Deployment]) -> None:
    name, deployment = stack
    now, before = set(records_of(deployment)), set(recorded(name))
    assert len(now) == len(deployment.resources), "two resources share a URN"
    assert (sorted(now - before), sorted(before - now)) == ([], []), "(new URNs, URNs gone) on " + name


@pytest.mark.parametrize("field", ["parent", "provider", "inputs", "dependencies", "retainOnDelete", "options"])
def test_each_resource_is_registered_as_recorded(stack: tuple[str, Deployment], field: str) -> None:
    name, deployment = stack
    now, before = records_of(deployment), recorded(name)
    changed = sorted(urn for urn in now.keys() & before.keys() if now[urn][field] != before[urn][field])
    assert changed == [], f"{field} changed on {name} for {changed}"


def record(stack: str) -> Path:
    """Write the current registrations of ``stack`` as its record (a deliberate change, reviewed as a diff)."""
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        kubeconfig = Path(folder) / "config"
        kubeconfig.write_text(yaml.safe_dump(KUBECONFIG))
        patch.setenv("KUBECONFIG", str(kubeconfig))
        deployment = deploy(stack)
    path = RECORDS / f"{stack}.json"
    path.write_text(json.dumps(records_of(deployment), sort_keys=True, indent=1) + "\n")
    return path


if __name__ == "__main__":
    RECORDS.mkdir(exist_ok=True)
    for shipped in STACKS:
        print(record(shipped))
