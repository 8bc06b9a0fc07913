"""CloudFormation templates as the CLI reads them: YAML (with short-form intrinsics) or JSON.

``load(path)`` returns a :class:`Template`: plain Python data (intrinsics in their long form,
``{"Ref": ...}``, ``{"Fn::Sub": ...}``) plus the line of every node, keyed by its path from the
template's root. The CLI only; the Lambda never imports this module (its zip has no PyYAML).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Location = tuple[str | int, ...]

CUSTOM_TYPE = "Custom::EcrRepos"

# Short-form tag -> long-form key. ``!GetAtt`` and ``!Ref``/``!Condition`` get special handling.
_FUNCTIONS = {
    "And", "Base64", "Cidr", "Equals", "FindInMap", "GetAZs", "GetAtt", "If", "ImportValue", "Join",
    "Length", "Not", "Or", "Select", "Split", "Sub", "ToJsonString", "Transform",
}


class TemplateError(Exception):
    """The file cannot be read as a template; ``line`` points at the cause when known."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass
class Template:
    path: str
    data: dict[str, Any]
    lines: dict[Location, int] = field(default_factory=dict)
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, message), e.g. duplicate keys
    # Unquoted scalars YAML 1.1 read as something else than their text (a number, a boolean, a
    # date): location -> (line, what to do). ``validate`` reports each; other messages about the
    # same value append it (``yaml_note``).
    notes: dict[Location, tuple[int, str]] = field(default_factory=dict)

    def yaml_note(self, location: Location) -> str | None:
        """The YAML pitfall of the value at ``location``, if it has one."""
        found = self.notes.get(tuple(location))
        return found[1] if found else None

    def with_yaml_note(self, location: Location, message: str) -> str:
        """``message`` about the value at ``location``, followed by its YAML pitfall if it has one."""
        note = self.yaml_note(location)
        return f"{message}; {note}" if note else message

    def line_of(self, location: Location) -> int:
        """The line of ``location``, or of its nearest ancestor that exists in the file."""
        loc = tuple(location)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)

    @property
    def resources(self) -> dict[str, Any]:
        res = self.data.get("Resources")
        return res if isinstance(res, dict) else {}

    def custom_resources(self, type_name: str = CUSTOM_TYPE) -> list[str]:
        """Logical ids of the resources of ``type_name``, in file order."""
        return [k for k, v in self.resources.items() if isinstance(v, dict) and v.get("Type") == type_name]


class _Builder:
    """Turns a composed YAML node tree into plain data, recording every node's line."""

    def __init__(self, path: str):
        self.path = path
        self.lines: dict[Location, int] = {}
        self.warnings: list[tuple[int, str]] = []
        self.notes: dict[Location, tuple[int, str]] = {}
        self._scalars = yaml.SafeLoader("")

    def _scalar(self, node: yaml.Node, location: Location) -> Any:
        """A scalar's value; an unquoted one that YAML 1.1 turns into something else than its text
        gets a note (PyYAML, and so this CLI and cfn-lint, follow YAML 1.1; CloudFormation's own
        parser is not documented: quoting is the only safe spelling)."""
        value = self._scalars.construct_object(node, deep=True)
        if isinstance(node, yaml.ScalarNode) and node.style is None and not isinstance(value, str) and value is not None:
            note = pitfall(node.value, value)
            if note:
                self.notes[location] = (node.start_mark.line + 1, note)
        return value

    def build(self, node: yaml.Node, location: Location) -> Any:
        self.lines.setdefault(location, node.start_mark.line + 1)
        tag = node.tag or ""
        if tag.startswith("!") and not tag.startswith("!!"):
            return self._intrinsic(node, tag[1:], location)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:merge":
                    raise TemplateError(self.path, key_node.start_mark.line + 1, "YAML merge keys (<<) are not supported by CloudFormation")
                key = self._scalar(key_node, location + ("<key>",))
                if not isinstance(key, (str, int, float, bool)):
                    raise TemplateError(self.path, key_node.start_mark.line + 1, "mapping keys must be scalars")
                key = str(key) if not isinstance(key, bool) else ("true" if key else "false")
                if key in out:
                    # CloudFormation accepts the file and deploys the last value (cfn-lint: E0000).
                    first = self.lines.get(location + (key,), 0)
                    self.warnings.append((key_node.start_mark.line + 1,
                                          f"duplicate key {key!r} (first at line {first}); CloudFormation "
                                          "keeps only this last one: merge the two or remove one"))
                # The key's line: where a reader looks for a key and its value.
                self.lines[location + (key,)] = key_node.start_mark.line + 1
                if location + ("<key>",) in self.notes:
                    self.notes[location + (key,)] = self.notes.pop(location + ("<key>",))
                out[key] = self.build(value_node, location + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, location + (i,)) for i, item in enumerate(node.value)]
        return self._scalar(node, location)

    def _intrinsic(self, node: yaml.Node, name: str, location: Location) -> dict[str, Any]:
        if name == "Ref":
            key = "Ref"
        elif name == "Condition":
            key = "Condition"
        elif name in _FUNCTIONS:
            key = f"Fn::{name}"
        else:
            raise TemplateError(self.path, node.start_mark.line + 1, f"unknown tag !{name}")
        inner_location = location + (key,)
        if isinstance(node, yaml.ScalarNode):
            text = node.value
            self.lines.setdefault(inner_location, node.start_mark.line + 1)
            if key == "Fn::GetAtt":
                resource, _, attribute = text.partition(".")
                return {key: [resource, attribute]}
            if key == "Fn::GetAZs" and text == "":
                return {key: ""}
            # A scalar after a tag is a string (``!Ref 123`` refers to the name "123").
            return {key: text}
        plain = yaml.MappingNode("tag:yaml.org,2002:map", node.value, node.start_mark, node.end_mark) \
            if isinstance(node, yaml.MappingNode) else \
            yaml.SequenceNode("tag:yaml.org,2002:seq", node.value, node.start_mark, node.end_mark)
        return {key: self.build(plain, inner_location)}


_BOOLEAN_WORDS = {"true", "false"}
_DIGITS = re.compile(r"^[0-9]{12}$")


def pitfall(text: str, value: Any) -> str | None:
    """What to write instead of the unquoted ``text`` that YAML 1.1 read as ``value``, if it matters."""
    if isinstance(value, bool):
        if text.lower() in _BOOLEAN_WORDS:
            return None
        word = "true" if value else "false"
        return (f"YAML 1.1 reads the unquoted {text} as the boolean {word} (YAML 1.2 as the string {text!r}); "
                f"write {word}, or quote it: '{text}'")
    if isinstance(value, (int, float)):
        fix = "quote account ids" if _DIGITS.match(text) else "quote it"
        if str(value) == text.lstrip("+"):
            return f"YAML reads the unquoted {text} as a number; {fix}: '{text}'" if _DIGITS.match(text) else None
        octal = "octal " if isinstance(value, int) and re.match(r"^[-+]?0[0-7_]+$", text) else ""
        return f"YAML reads the unquoted {text} as the {octal}number {value}; {fix}: '{text}'"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"YAML reads the unquoted {text} as a date; quote it: '{text}'"
    return None


def loads(text: str, path: str = "<template>") -> Template:
    """Parse template ``text`` (YAML or JSON)."""
    source = text
    if text.lstrip().startswith("{"):
        # JSON is YAML once tabs (only ever whitespace in valid JSON) are spaces.
        source = text.replace("\t", " ")
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise TemplateError(path, line, f"not valid YAML or JSON: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise TemplateError(path, 1, f"not valid YAML or JSON: {exc}") from exc
    if node is None:
        raise TemplateError(path, 1, "the file is empty")
    builder = _Builder(path)
    data = builder.build(node, ())
    if not isinstance(data, dict):
        raise TemplateError(path, 1, "a template must be a mapping with a Resources section")
    return Template(path, data, builder.lines, builder.warnings, builder.notes)


def load(path: str | Path) -> Template:
    """Read and parse the template at ``path``."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(name, 0, f"cannot read the file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise TemplateError(name, 0, "cannot read the file: not UTF-8 text") from exc
    return loads(text, name)
