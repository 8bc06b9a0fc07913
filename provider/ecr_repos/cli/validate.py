"""``ecr-repos validate``: the provider's own validation of every Custom::EcrRepos and Custom::EcrRegistry
in templates (the latter's by ``registry.problems``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from ..repos import spec
from ..core.errors import format_path
from ..repos.outputs import partition_of
from . import registry
from .template import Template, TemplateError, load


@dataclass(frozen=True)
class Finding:
    path: str  # the file
    line: int
    where: str  # dotted path in the template
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.where}: {self.message}"


def check_template(template: Template, partition: str = "aws") -> tuple[list[str], list[Finding]]:
    """The Custom::EcrRepos and Custom::EcrRegistry logical ids of ``template`` and every problem found in them (and in the
    template's YAML: duplicate keys, unquoted values YAML reads as numbers, booleans or dates), in
    line order. A problem about a value with a YAML pitfall carries its hint."""
    findings: list[Finding] = []
    hinted: set[tuple[str | int, ...]] = set()
    repos = template.custom_resources()
    ids = repos + template.custom_resources(registry.REGISTRY_TYPE)
    for logical_id in ids:
        base: tuple[str | int, ...] = ("Resources", logical_id, "Properties")
        properties = template.resources[logical_id].get("Properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            findings.append(Finding(template.path, template.line_of(base), format_path(base),
                                    "must be a map of properties"))
            continue
        if logical_id in repos:
            _, problems = spec.check(properties, partition, allow_intrinsics=True)
        else:
            problems = registry.problems(properties, partition)
        for problem in problems:
            location = base + tuple(problem.location)
            message = template.with_yaml_note(location, problem.message)
            if template.yaml_note(location):
                hinted.add(location)
            findings.append(Finding(template.path, template.line_of(location), format_path(location), message))
    for line, message in template.warnings:
        findings.append(Finding(template.path, line, "template", message))
    # YAML pitfalls only where there is something to check: other YAML files (a CI workflow's
    # `on:` key) are not validate's business.
    for location, (line, note) in template.notes.items() if ids else ():
        if location not in hinted:
            findings.append(Finding(template.path, line, format_path(location), note))
    findings.sort(key=lambda f: (f.line, f.where))
    return ids, findings


def run(paths: list[str], out: TextIO, err: TextIO, region: str | None = None) -> int:
    """Print ``file:line: path: message`` per problem; a one-line verdict per clean file. Exit code:
    0 all clean, 1 problems found, 2 a file could not be read."""
    partition = partition_of(region or "us-east-1")
    status = 0
    for path in paths:
        try:
            template = load(path)
        except TemplateError as exc:
            err.write(f"{exc}\n")
            status = max(status, 2)
            continue
        ids, findings = check_template(template, partition)
        for finding in findings:
            out.write(f"{finding}\n")
        if findings:
            status = max(status, 1)
        elif ids:
            out.write(f"{path}: OK ({', '.join(ids)})\n")
        else:
            err.write(f"{path}: no Custom::EcrRepos or Custom::EcrRegistry resource; nothing to check\n")
    return status
