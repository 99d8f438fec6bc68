"""The pull-request comment of one stack's ``pulumi preview`` (``.github/workflows/preview.yml``).

Summary first: the verdict, the resource changes, the policy verdicts and the estimated hourly cost before → after;
then the policy violations and the full preview, folded. The first line is a hidden marker naming the stack, so the
workflow edits that stack's comment in place and the stacks of one matrix never overwrite each other.

Reads what ``pulumi preview --diff`` prints (its ``Policies:``/``Policy Violations:``, ``Outputs:`` and
``Resources:`` blocks) and, for the cost before, what ``pulumi stack output estimated_hourly_cost_usd`` printed
(empty for a stack not deployed yet). Standard library only, so it runs with any Python 3.11::

    .venv/bin/python -m infra.delivery.preview_comment --stack staging --preview preview.txt --exit-code 0 \\
        --cost-before 0.42 --run-url https://…/actions/runs/1 > comment.md
"""

from __future__ import annotations

import argparse
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

COST_OUTPUT = "estimated_hourly_cost_usd"
MAX_COMMENT_CHARS = 60_000
"""GitHub refuses comments over 65,536 characters; the rest is left for the summary."""
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_BLOCK_HEADINGS = ("Policies:", "Policy Violations:", "Outputs:", "Resources:", "Diagnostics:", "Duration:")
_NUMBER = r"(-?[0-9]+(?:\.[0-9]+)?)"


def marker(stack: str) -> str:
    """The hidden first line that identifies ``stack``'s comment."""
    return f"<!-- genepool-preview:{stack} -->"


@dataclass(frozen=True)
class Preview:
    """What a reviewer needs from one preview's text output."""

    resources: list[str] = field(default_factory=list)
    """The ``Resources:`` lines (``+ 3 to create``, ``5 changes. 40 unchanged``)."""
    violations: list[str] = field(default_factory=list)
    """Policy violation lines, each naming its enforcement level, policy and resource."""
    cost_after: float | None = None
    """``estimated_hourly_cost_usd`` after the change, when the preview shows it changing (else unchanged)."""


def blocks(text: str) -> dict[str, list[str]]:
    """The indented lines under each top-level heading of ``text`` (``Outputs:`` → its lines, stripped); a block
    ends at a blank or unindented line."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in _ANSI.sub("", text).splitlines():
        if line.strip() in _BLOCK_HEADINGS and not line.startswith(" "):
            current = found.setdefault(line.strip().rstrip(":"), [])
        elif current is not None and line.startswith(" ") and line.strip():
            current.append(line.strip())
        else:
            current = None
    return found


def parse(text: str) -> Preview:
    """The summary of ``pulumi preview`` output ``text``."""
    found = blocks(text)
    policy_lines = found.get("Policies", []) + found.get("Policy Violations", [])
    violations = [line.lstrip("- ").strip() for line in policy_lines if re.search(r"\[(mandatory|advisory)\]", line)]
    cost_after = None
    for line in found.get("Outputs", []):
        if COST_OUTPUT in line:
            values = re.findall(_NUMBER, line.split(COST_OUTPUT, 1)[1])
            cost_after = float(values[-1]) if values else None
    return Preview(resources=found.get("Resources", []), violations=violations, cost_after=cost_after)


def cost_line(before: float | None, after: float | None) -> str:
    """``$0.42/h → $0.51/h (+$0.09/h)``; unchanged or unknown sides said as such."""
    if after is None:
        return "unchanged" + (f" (${before:.2f}/h)" if before is not None else "")
    if before is None:
        return f"${after:.2f}/h (new stack)"
    delta = after - before
    return f"${before:.2f}/h → ${after:.2f}/h ({'+' if delta >= 0 else '−'}${abs(delta):.2f}/h)"


def render(stack: str, text: str, exit_code: int, cost_before: float | None, run_url: str) -> str:
    """The whole comment for ``stack``."""
    preview = parse(text)
    mandatory = sum("[mandatory]" in v for v in preview.violations)
    advisory = len(preview.violations) - mandatory
    verdict = "passed" if exit_code == 0 else "failed"
    lines = [
        marker(stack),
        f"### `pulumi preview` on **{stack}**: {verdict}",
        "",
        "| | |",
        "|---|---|",
        f"| Resources | {html.escape('; '.join(preview.resources) or 'no changes reported')} |",
        f"| Policies | {mandatory} mandatory, {advisory} advisory violation{'s' if advisory != 1 else ''} |",
        f"| Estimated cost | {cost_line(cost_before, preview.cost_after)} |",
        "",
        f"[The run, with the full log]({run_url})",
    ]
    if preview.violations:
        lines += [
            "",
            f"<details><summary>Policy violations ({len(preview.violations)})</summary>",
            "",
            *(f"- {html.escape(v)}" for v in preview.violations),
            "",
            "</details>",
        ]
    head = "\n".join(lines)
    room = MAX_COMMENT_CHARS - len(head) - 200
    body = _ANSI.sub("", text)
    note = ""
    if len(body) > room:
        body, note = body[:room], "\n(cut to fit a comment: the run's log has all of it)"
    return f"{head}\n\n<details><summary>Full preview</summary>\n\n<pre>{html.escape(body)}</pre>{note}\n\n</details>\n"


def _cost(text: str) -> float | None:
    match = re.fullmatch(r"\s*" + _NUMBER + r"\s*", text)
    return float(match.group(1)) if match else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--preview", type=Path, required=True, help="file holding pulumi preview's output")
    parser.add_argument("--exit-code", type=int, required=True, help="pulumi preview's exit code")
    parser.add_argument("--cost-before", default="", help="estimated_hourly_cost_usd of the deployed stack, or empty")
    parser.add_argument("--run-url", required=True)
    args = parser.parse_args(argv)
    text = args.preview.read_text(errors="replace")
    print(render(args.stack, text, args.exit_code, _cost(args.cost_before), args.run_url), end="")


if __name__ == "__main__":
    main()
