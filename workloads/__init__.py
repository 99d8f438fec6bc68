"""genepool workloads: the genetic strategy pool that the Pulumi program in ``infra/`` deploys.

Dependency direction: ``infra`` may import ``workloads``; ``workloads`` never imports ``infra`` or ``pulumi``.
"""

__version__ = "0.1.0"
