"""Pulumi entry point (``main: infra/`` in Pulumi.yaml): read and validate the stack config, then build the stack.

Pulumi runs this directory as a script, so the repository root is put on ``sys.path`` to import ``infra`` and
``workloads`` as packages (``infra`` may import ``workloads`` for the stack-output contract; never the reverse).
"""

from __future__ import annotations

import sys
from pathlib import Path

_REPOSITORY = str(Path(__file__).resolve().parent.parent)
if _REPOSITORY not in sys.path:
    sys.path.insert(0, _REPOSITORY)

import pulumi  # noqa: E402

from infra import config, program  # noqa: E402

stack_config = config.load()
api_token = config.require_secret("apiToken")
receiver_secrets = config.receiver_secrets(stack_config.alerting)
for name, value in program.build(stack_config, api_token, receiver_secrets).items():
    pulumi.export(name, value)
