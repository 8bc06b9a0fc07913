"""Reading a botocore ``ClientError``: its code, message and HTTP status, the one home of where
they sit in ``exc.response``. Any other exception reads as no code, no message, status 0.

Reading only: turning ClientErrors into the provider's errors stays the executor's
(``repos.executor``), the CLI's wording of them ``cli.common``'s.
"""

from __future__ import annotations

from typing import Any


def _error(exc: BaseException) -> dict[str, Any]:
    response = getattr(exc, "response", None)
    error = response.get("Error") if isinstance(response, dict) else None
    return error if isinstance(error, dict) else {}


def code(exc: BaseException) -> str:
    """The error code (``RepositoryNotFoundException``, ``ThrottlingException``, ...), or ``""``."""
    return str(_error(exc).get("Code") or "")


def message(exc: BaseException) -> str:
    """The service's message, or ``""``."""
    return str(_error(exc).get("Message") or "")


def status(exc: BaseException) -> int:
    """The HTTP status of the answer, or 0 (no answer: not a ClientError)."""
    response = getattr(exc, "response", None)
    metadata = response.get("ResponseMetadata") if isinstance(response, dict) else None
    value = metadata.get("HTTPStatusCode") if isinstance(metadata, dict) else None
    return value if isinstance(value, int) else 0
