"""The pull-request comment of a stack's preview: summary first (verdict, changes, policy verdicts, cost before →
after), violations and the full preview folded, one hidden marker per stack so the matrix edits its own comment."""

from __future__ import annotations

from infra.delivery.preview_comment import MAX_COMMENT_CHARS, cost_line, marker, parse, render

UPDATE = """\
Previewing update (staging)

     Type                              Name                    Plan       Info
     pulumi:pulumi:Stack               genepool-staging
 ~   ├─ kubernetes:apps/v1:Deployment  genepool-api            update     [diff: ~spec]
 +   └─ kubernetes:core/v1:ConfigMap   genepool-extra          create

Policies:
    \u274c genepool@v0.0.1 (local: infra/policy)
        - [mandatory]  pinned-images  (kubernetes:apps/v1:Deployment: genepool-api)
          Every container image pins a tag or digest, never 'latest'.
          genepool-api: Deployment container 'api': image 'genepool/workload:latest' must pin a tag
        - [advisory]  requests-and-limits  (kubernetes:core/v1:Pod: debug)
          Every container sets requests and limits.

Outputs:
  ~ estimated_hourly_cost_usd: 0.42 => 0.51

Resources:
    + 1 to create
    ~ 1 to update
    2 changes. 40 unchanged

"""

NO_CHANGE = """\
Previewing update (prod)

Policies:
    \u2705 genepool@v0.0.1 (local: infra/policy)

Resources:
    45 unchanged
"""


def test_the_comment_starts_with_the_stacks_marker():
    assert render("staging", UPDATE, 0, 0.42, "https://ci/run/1").startswith(marker("staging") + "\n")
    assert marker("staging") != marker("prod")


def test_the_resource_changes_are_summarised():
    assert parse(UPDATE).resources == ["+ 1 to create", "~ 1 to update", "2 changes. 40 unchanged"]


def test_policy_violations_are_listed_with_their_level_policy_and_resource():
    violations = parse(UPDATE).violations
    assert violations == [
        "[mandatory]  pinned-images  (kubernetes:apps/v1:Deployment: genepool-api)",
        "[advisory]  requests-and-limits  (kubernetes:core/v1:Pod: debug)",
    ]
    assert "| Policies | 1 mandatory, 1 advisory violation |" in render("staging", UPDATE, 255, 0.42, "u")


def test_a_clean_preview_reports_no_violations():
    assert parse(NO_CHANGE).violations == []
    assert "0 mandatory, 0 advisory violations" in render("prod", NO_CHANGE, 0, 8.1, "u")


def test_the_cost_is_shown_before_and_after():
    assert parse(UPDATE).cost_after == 0.51
    assert "| Estimated cost | $0.42/h → $0.51/h (+$0.09/h) |" in render("staging", UPDATE, 0, 0.42, "u")


def test_an_unchanged_cost_is_said_to_be_unchanged():
    assert cost_line(8.1, None) == "unchanged ($8.10/h)"
    assert cost_line(None, 0.5) == "$0.50/h (new stack)"
    assert cost_line(0.5, 0.25) == "$0.50/h → $0.25/h (−$0.25/h)"


def test_the_verdict_follows_the_exit_code():
    assert "on **staging**: passed" in render("staging", UPDATE, 0, None, "u")
    assert "on **staging**: failed" in render("staging", UPDATE, 255, None, "u")


def test_the_summary_comes_before_the_folded_full_preview():
    comment = render("staging", UPDATE, 0, 0.42, "https://ci/run/1")
    assert comment.index("| Resources |") < comment.index("<details><summary>Full preview")
    assert "[The run, with the full log](https://ci/run/1)" in comment
    assert "&#x27;genepool/workload:latest&#x27;" in comment


def test_a_huge_preview_is_cut_to_fit_a_comment():
    huge = UPDATE + ("x" * 100 + "\n") * 2_000
    comment = render("staging", huge, 0, 0.42, "u")
    assert len(comment) <= MAX_COMMENT_CHARS
    assert "cut to fit a comment" in comment
    assert "| Resources |" in comment
