"""The API's error answers: what the OpenAPI document declares for them and the readable ``422``.

Every error body is ``{"detail": "<one sentence>"}`` (:class:`~workloads.service.models.ErrorBody`); a ``422`` adds
``errors``, the structured list (:class:`~workloads.service.models.ValidationErrorBody`). A ``503`` names no
database: the server log has the redacted cause.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from workloads.service.models import ErrorBody, ValidationErrorBody

STORAGE_UNAVAILABLE = "storage unavailable; try again shortly"
"""The ``detail`` of every ``503`` of ``/v1``."""
BEARER_REQUIRED = "missing or invalid bearer token"
"""The ``detail`` of every ``401``."""

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or invalid bearer token."},
    422: {"model": ValidationErrorBody, "description": "A parameter breaks its rule."},
    503: {"model": ErrorBody, "description": "Storage unavailable (answered within the request budget)."},
}
"""The error answers every ``/v1`` route declares."""


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One readable sentence per problem, e.g. ``query parameter 'limit': Input should be a valid integer``."""
    parts = []
    for error in errors:
        location = [str(p) for p in error.get("loc", ())]
        where = f"{location[0]} parameter {'.'.join(location[1:])!r}" if len(location) > 1 else ".".join(location)
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


async def unprocessable(_: Request, exc: RequestValidationError) -> JSONResponse:
    """The ``422`` answer of a request whose parameters break their rules."""
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "invalid")), "type": str(e.get("type", "value"))}
        for e in jsonable_encoder(exc.errors())
    ]
    return JSONResponse(status_code=422, content={"detail": validation_message(errors), "errors": errors})
