"""What every command shares: the error type, progress on a terminal, finding the resource."""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

from ..template import Template

EXIT_OK = 0
EXIT_PROBLEMS = 1  # validate found problems
EXIT_ERROR = 2  # the command could not do its job


class CliError(Exception):
    """Stops a command: the message goes to stderr, the exit code is EXIT_ERROR."""


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


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def pick_resource(template: Template, logical_id: str | None) -> str:
    """The logical id of the Custom::EcrRepos to work on: the one named, or the only one."""
    found = template.custom_resources()
    if logical_id:
        if logical_id not in template.resources:
            raise CliError(f"{template.path}: no resource {logical_id!r}; Custom::EcrRepos resources: "
                           f"{', '.join(found) or 'none'}")
        if logical_id not in found:
            raise CliError(f"{template.path}: {logical_id!r} is not a Custom::EcrRepos resource")
        return logical_id
    if not found:
        raise CliError(f"{template.path}: no Custom::EcrRepos resource in the template")
    if len(found) > 1:
        raise CliError(f"{template.path}: {len(found)} Custom::EcrRepos resources ({', '.join(found)}); "
                       "choose one with --logical-id")
    return found[0]
