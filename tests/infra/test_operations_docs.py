"""docs/operations.md against the code: the image-reference table is what the stack config accepts on each kind of
stack, and the policies it lists as mandatory on dev are exactly those ``infra/policy/dev.json`` keeps mandatory."""

from __future__ import annotations

import json
import re

import pytest

from infra.config import StackConfigError, parse
from infra.policy.policies import STACK_VALIDATORS, VALIDATORS

from .conftest import REPOSITORY
from .test_config import with_value, without

OPERATIONS = (REPOSITORY / "docs" / "operations.md").read_text()
DIGEST_HEX = "0123456789abcdef" * 4
IMAGE_ROW = re.compile(r"^\| ([a-z ,]+) \| ?(`[^`|]+`)? ?\| ([^|]+) \| ([^|]+) \|$", re.MULTILINE)


def section(heading: str) -> str:
    start = OPERATIONS.index(f"\n### {heading}\n")
    end = OPERATIONS.find("\n#", start + 1)
    return OPERATIONS[start:end]


def image_rows() -> list[tuple[str, str | None, str, str]]:
    """(form, example with the digest filled in or None when absent, dev's cell, the clouds' cell)."""
    rows = IMAGE_ROW.findall(section("Image references"))
    return [
        (form, example.strip("`").replace("<64 hex>", DIGEST_HEX) if example else None, dev.strip(), cloud.strip())
        for form, example, dev, cloud in rows
        if form != "form"
    ]


def config_accepts(stack: str, image: str | None) -> bool:
    raw = without(stack, "image") if image is None else with_value(stack, "image", image)
    try:
        parse(raw)
    except StackConfigError:
        return False
    return True


def test_the_image_table_covers_every_form():
    assert [form for form, *_ in image_rows()] == [
        "pinned tag",
        "latest tag",
        "no tag, no digest",
        "repository and digest",
        "bare digest",
        "absent",
    ]


@pytest.mark.parametrize(("form", "image", "dev", "cloud"), image_rows(), ids=lambda v: str(v)[:30])
def test_each_image_form_is_accepted_or_refused_as_the_docs_say(form, image, dev, cloud):
    for stack, cell in (("dev", dev), ("staging", cloud)):
        documented = cell.split()[0].rstrip(":;,")
        assert documented in {"accepted", "refused"}, (form, cell)
        assert config_accepts(stack, image) is (documented == "accepted"), (form, stack, cell)


def test_the_policies_the_docs_call_mandatory_on_dev_are_the_ones_dev_json_keeps_mandatory():
    levels = json.loads((REPOSITORY / "infra" / "policy" / "dev.json").read_text())
    assert levels.pop("all") == "advisory"
    mandatory = {name for name, level in levels.items() if level == "mandatory"}
    assert mandatory <= set(VALIDATORS) | set(STACK_VALIDATORS)
    documented = set(re.findall(r"^- `([a-z-]+)`$", section("Policy enforcement per stack"), re.MULTILINE))
    assert documented == mandatory


def test_no_doc_says_dev_makes_every_policy_advisory():
    docs = [*(REPOSITORY / "docs").glob("*.md"), REPOSITORY / "README.md", REPOSITORY / "infra/policy/__main__.py"]
    for path in docs:
        assert not re.search(r"every\s+policy\s+advisory", path.read_text()), path.name


def test_only_dev_has_a_policy_config_so_staging_and_prod_run_every_policy_mandatory():
    assert sorted(p.name for p in (REPOSITORY / "infra" / "policy").glob("*.json")) == ["dev.json"]
    assert "enforcement_level=EnforcementLevel.MANDATORY" in (REPOSITORY / "infra/policy/__main__.py").read_text()
