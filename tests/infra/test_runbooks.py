"""Every alert links its runbook: the ``runbook_url`` names a section of docs/runbooks.md that exists and says how to
confirm, mitigate and close."""

from __future__ import annotations

import re

import pytest
import yaml

from infra.components.monitoring import ALERTS_FILE, alert_groups

from .conftest import REPOSITORY

RUNBOOKS = REPOSITORY / "docs" / "runbooks.md"
STEPS = ("**Confirm**", "**Mitigate**", "**Close**")


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def sections() -> dict[str, str]:
    """Anchor of each ``###`` section of docs/runbooks.md → its text up to the next heading."""
    found: dict[str, str] = {}
    current = None
    for line in RUNBOOKS.read_text().splitlines():
        if line.startswith("#"):
            current = slug(line.lstrip("#")) if line.startswith("### ") else None
            if current is not None:
                found[current] = ""
        elif current is not None:
            found[current] += line + "\n"
    return found


def missing_steps(text: str) -> list[str]:
    """The steps of :data:`STEPS` a runbook section's ``text`` does not give."""
    return [step for step in STEPS if step not in text]


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS_FILE.read_text())["groups"] for rule in group["rules"]]


def test_every_alert_has_a_runbook_url_into_the_runbooks():
    missing = [
        r["alert"] for r in rules() if not r["annotations"].get("runbook_url", "").startswith("docs/runbooks.md#")
    ]
    assert not missing, f"alerts without a runbook_url into docs/runbooks.md: {missing}"


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_each_runbook_link_resolves_to_a_section_that_confirms_mitigates_and_closes(rule):
    anchor = rule["annotations"]["runbook_url"].split("#", 1)[1]
    assert anchor in sections(), f"{rule['alert']}: docs/runbooks.md has no section #{anchor}"
    assert not missing_steps(sections()[anchor]), (
        f"{rule['alert']}: its runbook lacks {missing_steps(sections()[anchor])}"
    )


def test_the_section_a_link_names_is_that_alerts_own():
    for rule in rules():
        assert rule["annotations"]["runbook_url"] == f"docs/runbooks.md#{slug(rule['alert'])}"


def test_a_runbook_without_the_close_step_is_caught():
    assert missing_steps("- **Confirm**: look.\n- **Mitigate**: fix.\n") == ["**Close**"]


def test_the_shipped_rules_carry_the_base_url_before_the_path():
    base = "https://github.com/example/genepool/blob/main/"
    urls = {r["annotations"]["runbook_url"] for g in alert_groups(True, base) for r in g["rules"]}
    assert {url.removeprefix(base) for url in urls} == {r["annotations"]["runbook_url"] for r in rules()}


def test_every_runbook_section_confirms_mitigates_and_closes():
    incomplete = {anchor: missing_steps(text) for anchor, text in sections().items() if missing_steps(text)}
    assert not incomplete, f"runbook sections missing steps: {incomplete}"


def test_the_procedures_have_runbooks():
    assert {"point-in-time-recovery", "destroying-prod-fails-at-the-ecr-repository"} <= set(sections())
