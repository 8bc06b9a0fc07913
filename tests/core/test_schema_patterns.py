"""The schema's patterns: ECR's repository name rule, and every pattern matching the whole value.

The reference for names is botocore's ECR service model (shape ``RepositoryName``), read from the
installed botocore; the reference for a pattern's meaning is JSON Schema's (ECMA-262, where ``$``
ends the value), not Python's ``re`` (whose ``$`` also matches before a trailing newline).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecr_repos.core.schema import _validator, coerce, compile_pattern, load_schema, python_regex, schema_problems, surely_valid
from tests.support.ecr_fidelity import repository_name_pattern
from tests.support.fuzz import examples

BOTOCORE = re.compile(repository_name_pattern())


def ecr_accepts(name: str) -> bool:
    """ECR's rule: botocore's RepositoryName pattern on the whole name, 2-256 characters."""
    return 2 <= len(name) <= 256 and BOTOCORE.fullmatch(name) is not None


def schema_accepts(name: str, *, messages: bool = False) -> bool:
    """The schema's verdict on ``name`` as a repository name: jsonschema's, which the fast path
    never contradicts (and, with ``messages``, the problem list the Lambda reports)."""
    props = {"ServiceToken": "t", "EcrRepositories": {name: {}}}
    valid = list(_validator().iter_errors(props)) == []
    assert valid or not surely_valid(props)
    if messages:
        assert (schema_problems(coerce(props)) == []) is valid
    return valid


VALID = ["team/base__image", "a--b", "a---b/c", "a__b", "ab", "a.b", "a_b", "a-b", "a.b_c-d/e", "x" * 256,
         "0/1", "a/b/c/d", "a__b/c--d/e.f_g", "team1/app-2/v3", "a-----------b", "1a", "a" * 100 + "/" + "b" * 155]
INVALID = ["a___b", "a..b", "A", "/a", "a/", "a", "", "x" * 257, "a//b", "-a", "a-", "_a", "a_", ".a", "a.",
           "a-_b", "a_-b", "a._b", "a.-b", "a__-b", "App/api", "a b", "a\tb", "bad\n", "a\nb", "\na", "ab\r\n",
           "ab\x00", "ab\u00e9", "ab\u0661", "a:b", "a@b", "a*b", "a/b/", "a" * 128 + "/" + "b" * 128]


@pytest.mark.parametrize("name", VALID)
def test_names_ecr_accepts_pass(name):
    assert ecr_accepts(name)
    assert schema_accepts(name, messages=True)


@pytest.mark.parametrize("name", INVALID)
def test_names_ecr_refuses_fail(name):
    assert not ecr_accepts(name)
    assert not schema_accepts(name, messages=True)


# Names built from the characters that matter (separators, slashes, case, control characters), and
# words joined by separators ECR accepts or refuses (st.from_regex would be several times slower).
_near_names = st.text(alphabet="ab0._-/A\n\t ", min_size=0, max_size=12)
_word = st.text(alphabet="az09", min_size=1, max_size=4)
_separator = st.sampled_from([".", "_", "__", "-", "--", "---", "/", "___", "..", "//", "-_", "._", "/-", "\n"])
_joined = st.builds(lambda first, rest: first + "".join(s + w for s, w in rest), _word,
                    st.lists(st.tuples(_separator, _word), max_size=5))


@settings(max_examples=examples(250), deadline=None)
@given(st.one_of(_near_names, _joined, st.text(max_size=8)))
def test_the_schema_accepts_exactly_what_ecr_accepts(name):
    assert schema_accepts(name) == ecr_accepts(name)


def test_the_schema_states_botocores_pattern():
    node = load_schema()["properties"]["EcrRepositories"]["propertyNames"]
    assert (node["minLength"], node["maxLength"]) == (2, 256)
    assert node["pattern"] == f"^(?:{repository_name_pattern()})$"


def test_the_fidelity_fixture_teaches_moto_the_same_rule(ecr):
    for name in ("team/base__image", "a--b", "a---b/c"):
        ecr.create_repository(repositoryName=name)
    with pytest.raises(ecr.exceptions.InvalidParameterException):
        ecr.create_repository(repositoryName="a___b")
    assert {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]} == {
        "team/base__image", "a--b", "a---b/c"}


# --- every pattern matches the whole value ----------------------------------------------------


@pytest.mark.parametrize(
    "ecma,python",
    [
        ("^[0-9]{12}$", r"^[0-9]{12}\Z"),
        ("^(?:aws:|ecr-repos:)", "^(?:aws:|ecr-repos:)"),  # a prefix pattern stays one
        (r"^a\$b[$.]c$", r"^a\$b[$.]c\Z"),  # escaped or in a class, "$" and "." are literals
        ("^a.b$", r"^a[^\n\r\u2028\u2029]b\Z"),  # ECMA's "." excludes every line terminator
        (r"^[\]$]$", r"^[\]$]\Z"),
        ("^(?:a|b$)|c$", r"^(?:a|b\Z)|c\Z"),
    ],
)
def test_python_regex(ecma, python):
    assert python_regex(ecma) == python


@pytest.mark.parametrize(
    "pattern,value,matches",
    [
        ("^[0-9]{12}$", "111111111111", True),
        ("^[0-9]{12}$", "111111111111\n", False),
        ("^[0-9]{12}$", "\u0661" * 12, False),
        (r"^\d+$", "\u0661\u0662", False),  # ECMA's \d is ASCII
        (r"^\d+$", "12\n", False),
        ("^a.b$", "a\rb", False),
        ("^(?:aws:|ecr-repos:)", "aws:x\n", True),
    ],
)
def test_compiled_patterns_have_ecmas_meaning(pattern, value, matches):
    assert bool(compile_pattern(pattern).search(value)) is matches


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


ANCHORED = sorted({p for p in _patterns(load_schema()) if p.startswith("^") and p.endswith("$")})


def test_the_schema_has_anchored_patterns():
    assert len(ANCHORED) >= 3  # names, account ids, tag patterns (and whatever is added later)


@pytest.mark.parametrize("pattern", ANCHORED)
@settings(max_examples=examples(40), deadline=None)
@given(data=st.data())
def test_every_anchored_pattern_of_the_schema_is_a_full_match(pattern, data):
    # any "^...$" of the schema, however written, now or later: the value matches only as a whole
    body = pattern[1:-1]
    good = data.draw(st.from_regex(re.compile(body, re.ASCII), fullmatch=True).filter(lambda v: "\n" not in v))
    tail = data.draw(st.sampled_from(["\n", "\r\n", "\x00", "\t", "\x7f", "\u2028"]))
    assert compile_pattern(pattern).search(good)
    for value in (good + tail, tail + good):
        expected = re.fullmatch(python_regex(body), value, re.ASCII) is not None
        assert bool(compile_pattern(pattern).search(value)) is expected, (pattern, value)
