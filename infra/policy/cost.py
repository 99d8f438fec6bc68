"""The cost ceiling as a stack policy: the stack's estimated hourly cost at maximum size must not exceed
``genepool:costCeilingUsdPerHour``.

The program estimates the cost (``infra/platforms``' ``hourly_cost``) and stamps the estimate and the ceiling on the
stack's namespace (``infra.labels.COST_ANNOTATION`` and ``CEILING_ANNOTATION``); this policy reads them, so the verdict
shows among the policy results of every preview, at the stack's enforcement level (advisory on dev).
"""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs

from infra.labels import CEILING_ANNOTATION, COST_ANNOTATION


def cost_within_ceiling(args: StackValidationArgs, report: ReportViolation) -> None:
    stamped = [
        r
        for r in args.resources
        if r.resource_type == "kubernetes:core/v1:Namespace"
        and COST_ANNOTATION in ((r.props.get("metadata") or {}).get("annotations") or {})
    ]
    if not stamped:
        report("the stack's namespace carries no cost estimate: the cost ceiling cannot be checked", None)
        return
    for namespace in stamped:
        annotations = namespace.props["metadata"]["annotations"]
        estimate, ceiling = float(annotations[COST_ANNOTATION]), float(annotations[CEILING_ANNOTATION])
        if estimate > ceiling:
            report(
                f"{namespace.name}: estimated {estimate:.2f} USD/hour at maximum size, above the ceiling "
                f"{ceiling:.2f} (genepool:costCeilingUsdPerHour)",
                namespace.urn,
            )
