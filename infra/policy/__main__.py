"""The genepool policy pack: ``pulumi preview --policy-pack infra/policy`` (mandatory; dev: add
``--policy-pack-config infra/policy/dev.json``, advisory except the policies it keeps mandatory:
docs/operations.md#policy-enforcement-per-stack)."""

from __future__ import annotations

import sys
from pathlib import Path

_REPOSITORY = str(Path(__file__).resolve().parent.parent.parent)
if _REPOSITORY not in sys.path:
    sys.path.insert(0, _REPOSITORY)

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from infra.policy.policies import POLICIES  # noqa: E402

PolicyPack("genepool", policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
