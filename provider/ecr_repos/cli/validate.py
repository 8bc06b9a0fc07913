"""``ecr-repos validate``: the provider's own validation of every Custom::EcrRepos and Custom::EcrRegistry
in templates (the latter's by ``registry.problems``).

``resource_findings`` is the check of one resource that needs no AWS call (its properties with
intrinsics accepted where the type could match, its YAML pitfalls, the size ceiling of an Update
event); ``ecr-repos plan`` runs it before asking for credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from ..core import limits
from ..core.errors import format_path
from ..repos import spec
from ..repos.outputs import partition_of
from . import registry
from .template import Template, TemplateError, load

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    path: str  # the file
    line: int
    where: str  # dotted path in the template
    message: str
    severity: str = ERROR  # WARNING: the template deploys, but not as meant (plan goes on)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.where}: {self.message}"

    def as_warning(self) -> str:
        """As ``plan``, ``drift`` and ``demo`` print a warning on stderr."""
        return f"{self.path}:{self.line}: warning: {self.where}: {self.message}"


def resource_findings(template: Template, logical_id: str, partition: str = "aws") -> list[Finding]:
    """The problems of ``logical_id``'s properties (errors), its YAML pitfalls and an oversized
    property map (warnings), in line order. A problem about a value with a YAML pitfall carries its
    hint instead of a warning of its own."""
    findings: list[Finding] = []
    hinted: set[tuple[str | int, ...]] = set()
    base: tuple[str | int, ...] = ("Resources", logical_id, "Properties")
    properties = template.resources[logical_id].get("Properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        return [Finding(template.path, template.line_of(base), format_path(base), "must be a map of properties")]
    is_registry = template.resources[logical_id].get("Type") == registry.REGISTRY_TYPE
    if is_registry:
        problems = registry.problems(properties, partition)
    else:
        _, problems = spec.check(properties, partition, allow_intrinsics=True)
    for problem in problems:
        location = base + tuple(problem.location)
        message = template.with_yaml_note(location, problem.message)
        if template.yaml_note(location):
            hinted.add(location)
        findings.append(Finding(template.path, template.line_of(location), format_path(location), message))
    oversized = None if is_registry else limits.size_warning(properties)
    if oversized:
        findings.append(Finding(template.path, template.line_of(base), format_path(base), oversized, WARNING))
    for location, (line, note) in template.notes.items():
        if location[:2] == base[:2] and location not in hinted:
            findings.append(Finding(template.path, line, format_path(location), note, WARNING))
    findings.sort(key=lambda f: (f.line, f.where))
    return findings


def template_findings(template: Template) -> list[Finding]:
    """What the template's YAML hides anywhere in the file: duplicate keys (CloudFormation, like
    PyYAML, keeps the last one; cfn-lint reports each as E0000)."""
    return [Finding(template.path, line, "template", message, WARNING) for line, message in template.warnings]


def check_template(template: Template, partition: str = "aws") -> tuple[list[str], list[Finding]]:
    """The Custom::EcrRepos and Custom::EcrRegistry logical ids of ``template`` and every problem found in them (and in the
    template's YAML: duplicate keys, unquoted values YAML reads as numbers, booleans or dates), in
    line order."""
    ids = template.custom_resources() + template.custom_resources(registry.REGISTRY_TYPE)
    findings = [f for logical_id in ids for f in resource_findings(template, logical_id, partition)]
    findings.extend(template_findings(template))
    # YAML pitfalls only where there is something to check: other YAML files (a CI workflow's
    # `on:` key) are not validate's business.
    if ids:
        inside = {("Resources", i) for i in ids}
        for location, (line, note) in template.notes.items():
            if location[:2] not in inside:
                findings.append(Finding(template.path, line, format_path(location), note, WARNING))
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
