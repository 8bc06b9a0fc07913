"""What every command shares: exit codes, user errors, progress on a terminal, finding the resource.

User errors are turned into one line (plus one line per problem) in ONE place, ``user_message``,
which ``ecr_repos.cli.main`` applies to whatever a command raises: a command raises ``CliError``
(or lets a template, file, credentials or connection error propagate) and never prints a
traceback itself.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from .. import awserror
from .template import Template, TemplateError

EXIT_OK = 0
EXIT_PROBLEMS = 1  # validate found problems; demo: a step answered FAILED
EXIT_ERROR = 2  # the command could not do its job (bad input, no credentials, endpoint unreachable, ...)
EXIT_INTERNAL = 3  # a bug: an error no one anticipated (ECR_REPOS_DEBUG=1 shows the traceback)

DEBUG_ENV = "ECR_REPOS_DEBUG"


class CliError(Exception):
    """Stops a command: the message goes to stderr, the exit code is EXIT_ERROR.

    ``details`` are further lines printed as they are, one per problem (``file:line: path: message``).
    """

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = list(details or [])

    def __str__(self) -> str:
        return "\n".join([self.message, *self.details])


def problems_error(what: str, lines: list[str]) -> CliError:
    """One header line and the problems, in line order, as ``validate`` prints them."""
    count = len(lines)
    if count == 1:
        return CliError(lines[0])
    return CliError(f"{what}: {count} problem{'s' if count != 1 else ''}; fix the template or --parameters",
                    lines)


# Botocore's exception classes, by name, and what to do about each on the command line. Matched by
# name along the exception's chain (the executor wraps the original in AwsCallFailed) so that
# botocore is not imported here.
_BOTOCORE_HINTS = {
    "NoCredentialsError": "no AWS credentials found; set AWS_PROFILE (after `aws sso login` or `aws configure`) "
                          "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    "PartialCredentialsError": "incomplete AWS credentials ({detail}); set both AWS_ACCESS_KEY_ID and "
                               "AWS_SECRET_ACCESS_KEY, or use a profile",
    "ProfileNotFound": "{detail}; check AWS_PROFILE against `aws configure list-profiles`",
    "NoRegionError": "no region; pass --region or set AWS_REGION",
    "TokenRetrievalError": "{detail}; run `aws sso login` again",
    "SSOTokenLoadError": "{detail}; run `aws sso login` again",
    "UnauthorizedSSOTokenError": "{detail}; run `aws sso login` again",
    "EndpointConnectionError": "cannot connect to {endpoint}; check --endpoint-url or AWS_ENDPOINT_URL, "
                               "the region and the network",
    "ConnectTimeoutError": "timed out connecting to {endpoint}; check --endpoint-url, the region and the network",
    "ReadTimeoutError": "no answer from {endpoint} in time; run the command again",
    "ConnectionClosedError": "{endpoint} closed the connection; run the command again",
    "SSLError": "TLS failed with {endpoint} ({detail}); check AWS_CA_BUNDLE and the endpoint",
}

_CODE_HINTS = {
    "AccessDeniedException": "your credentials may not call {operation}; use a role or profile that may",
    "AccessDenied": "your credentials may not call {operation}; use a role or profile that may",
    "UnrecognizedClientException": "AWS does not know these credentials; check AWS_PROFILE or the access key",
    "InvalidClientTokenId": "AWS does not know these credentials; check AWS_PROFILE or the access key",
    "InvalidSignatureException": "the secret key does not match the access key; check your credentials",
    "SignatureDoesNotMatch": "the secret key does not match the access key; check your credentials",
    "ExpiredToken": "the credentials have expired; refresh them (e.g. `aws sso login`) and run the command again",
    "ExpiredTokenException": "the credentials have expired; refresh them (e.g. `aws sso login`) and run the "
                             "command again",
    "ThrottlingException": "AWS kept throttling {operation}; run the command again in a moment",
}


_UNREACHABLE = {"NoCredentialsError", "PartialCredentialsError", "ProfileNotFound", "NoRegionError",
                "TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError", "EndpointConnectionError",
                "ConnectTimeoutError", "SSLError"}


def is_unreachable(exc: BaseException) -> bool:
    """No credentials or no connection: no AWS call can succeed, so a command stops at the first."""
    return any(type(link).__name__ in _UNREACHABLE and type(link).__module__.startswith("botocore")
               for link in _chain(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    while exc is not None and exc not in out:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return out


def _endpoint(exc: BaseException) -> str:
    kwargs = getattr(exc, "kwargs", {}) or {}
    return str(kwargs.get("endpoint_url") or "the AWS endpoint")


def user_message(exc: BaseException) -> CliError | None:
    """What to tell the user about ``exc`` (one line, maybe problem lines), or ``None`` for a bug."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, TemplateError):
        return CliError(str(exc))
    from ..core.errors import EcrReposError
    from ..repos.errors import AwsCallFailed

    for link in _chain(exc):
        hint = _BOTOCORE_HINTS.get(type(link).__name__)
        if hint and type(link).__module__.startswith("botocore"):
            return CliError(hint.format(detail=str(link), endpoint=_endpoint(link)))
    if isinstance(exc, AwsCallFailed):
        operation = f"ecr:{exc.operation}"
        hint = _CODE_HINTS.get(exc.code)
        if hint:
            return CliError(hint.format(operation=operation))
        where = f" on {exc.repository}" if exc.repository else ""
        return CliError(f"ECR {exc.operation}{where} failed: {exc.code}: {exc.detail}")
    if isinstance(exc, EcrReposError):
        return CliError(exc.message())
    code = awserror.code(exc)
    if code:
        operation = getattr(exc, "operation_name", "the call")
        hint = _CODE_HINTS.get(code)
        if hint:
            return CliError(hint.format(operation=operation))
        return CliError(f"{operation} failed: {code}: {awserror.message(exc)}")
    if isinstance(exc, OSError) and exc.strerror:
        name = f"{exc.filename}: " if exc.filename else ""
        return CliError(f"{name}{exc.strerror}")
    return None


@contextmanager
def reading_registry() -> Iterator[None]:
    """Around a command's registry reads: an error ``user_message`` can say (endpoint unreachable,
    no credentials, access denied, an ECR error, ...) becomes ``cannot read the registry: ...``;
    anything else (a bug) goes on as it is."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - sorted by user_message
        said = user_message(exc)
        if said is None:
            raise
        raise CliError(f"cannot read the registry: {said.message}") from exc


def report(command: str | None, exc: BaseException, err: TextIO) -> int:
    """Write ``exc`` for the user and return the exit code; the one place errors are printed."""
    import os

    name = f"ecr-repos {command}" if command else "ecr-repos"
    error = user_message(exc)
    if error is None:
        if os.environ.get(DEBUG_ENV):
            raise exc
        err.write(f"{name}: internal error: {type(exc).__name__}: {exc}\n"
                  f"(a bug in ecr-repos: please report it; {DEBUG_ENV}=1 shows the traceback)\n")
        return EXIT_INTERNAL
    err.write(f"{name}: error: {error.message}\n")
    for line in error.details:
        err.write(f"{line}\n")
    return EXIT_ERROR


class Progress:
    """``label done/total`` rewritten in place on a terminal; silent in pipes and CI."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None, enabled: bool | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.total = total
        self.done = 0
        self._lock = threading.Lock()
        self.enabled = enabled if enabled is not None else _is_tty(self.stream)
        self._shown = False

    def step(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            if self.enabled and self.total:
                self.stream.write(f"\r{self.label} {self.done}/{self.total}")
                self.stream.flush()
                self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False


def templates_dir() -> Path:
    """The example templates: ``ecr_repos/_templates/`` in an installed wheel (mapped from
    ``templates/`` by pyproject.toml), else ``templates/`` of the checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "_templates"
    return packaged if (packaged / "example.yaml").is_file() else package.parent.parent / "templates"


def lint_rules_dir() -> Path:
    """The folder of the cfn-lint rules E9101 and E9103, for ``cfn-lint --append-rules``."""
    return Path(__file__).resolve().parent.parent / "cfnlint_rules"


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def pick_resource(template: Template, logical_id: str | None, type_name: str = "Custom::EcrRepos") -> str:
    """The logical id of the resource of ``type_name`` to work on: the one named, or the only one."""
    found = template.custom_resources(type_name)
    if logical_id:
        if logical_id not in template.resources:
            raise CliError(f"{template.path}: no resource {logical_id!r}; {type_name} resources: "
                           f"{', '.join(found) or 'none'}")
        if logical_id not in found:
            raise CliError(f"{template.path}: {logical_id!r} is not a {type_name} resource")
        return logical_id
    if not found:
        raise CliError(f"{template.path}: no {type_name} resource in the template")
    if len(found) > 1:
        raise CliError(f"{template.path}: {len(found)} {type_name} resources ({', '.join(found)}); "
                       "choose one with --logical-id")
    return found[0]
