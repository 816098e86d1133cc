"""Rule conditions: JSON in, yes or no out. Pure code, no ORM, never raises on data.

A condition is either a group or a leaf::

    {"all": [cond, ...]}          every one holds (an empty list holds)
    {"any": [cond, ...]}          at least one holds (an empty list does not)
    {"not": cond}                 the opposite
    {"field": "ticket.status", "op": "eq", "value": "open"}

``facts`` is a flat dict of dotted names (``ticket.status``, ``requester.email``, ...) built
by ``facts.py``; ``facts["changes"]`` maps a field to ``{"from": old, "to": new}`` for the
event being evaluated. A field missing from the facts counts as empty (``None``): it never
raises, it just does not match (or matches ``ne``, ``not_in``, ``not_contains``,
``is_empty``).

Strings compare case-insensitively and with surrounding space ignored; a list field (tags)
compares element-wise. ``matches`` is deliberately not a full regular expression (Python's
``re`` has no time limit, and a rule author's pattern runs on every customer mail): it is a
list of words or phrases separated by ``|`` where ``*`` stands for any letters inside a
word, matched against whole words of the text (linear time, whatever the pattern), e.g.
``refund|money back|charge*back``.

Conditions are compiled once into closures (``condition_compile``) so evaluating hundreds of
rules on one event costs microseconds each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Protocol

Facts = Mapping[str, Any]


class OpenHours(Protocol):
    """What ``in_business_hours`` needs of a calendar (``frontdesk.sla.clock.Calendar``)."""

    def is_open(self, at: datetime) -> bool: ...


Check = Callable[[Facts, "OpenHours | None"], bool]

OPERATORS = (
    "eq",
    "ne",
    "in",
    "not_in",
    "contains",
    "not_contains",
    "gt",
    "lt",
    "gte",
    "lte",
    "is_empty",
    "changed",
    "changed_from",
    "changed_to",
    "matches",
    "in_business_hours",
)
# Operators whose value is a list.
LIST_OPERATORS = frozenset({"in", "not_in"})
# Operators that take no value (or a yes/no flag).
FLAG_OPERATORS = frozenset({"is_empty", "changed", "in_business_hours"})
MAX_DEPTH = 10
MAX_PATTERN = 300
MAX_TEXT = 100_000
_MISSING = None


class ConditionError(ValueError):
    """A condition that cannot be saved (shown to the admin, never raised on evaluation)."""


# --- normalising values ---------------------------------------------------------------------


def _norm(value: Any) -> Any:
    """Comparable form: trimmed lower-case strings, numbers as Decimal, dates as datetimes."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        return value.strip().casefold()
    return value


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    if isinstance(value, str):
        text = value.strip()
        # Most strings are words: skip Decimal (whose failure raises, which is slow).
        if not text or text[0] not in "+-.0123456789":
            return None
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            return None
        return number if number.is_finite() else None
    return None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - a plain date
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset | dict):
        return not value
    return False


def _equal(actual: Any, expected: Any) -> bool:
    if _is_list(actual):
        if _is_list(expected):
            return {_norm(a) for a in actual if _hashable(a)} == {
                _norm(e) for e in expected if _hashable(e)
            }
        return any(_equal(a, expected) for a in actual)
    if isinstance(actual, bool) or isinstance(expected, bool):
        return _truth(actual) == _truth(expected) if actual is not None else False
    a_num, e_num = _number(actual), _number(expected)
    if a_num is not None and e_num is not None:
        return a_num == e_num
    if isinstance(actual, datetime | date) or isinstance(expected, datetime | date):
        a_at, e_at = _moment(actual), _moment(expected)
        return _compare(a_at, e_at) == 0
    if isinstance(actual, dict) or isinstance(expected, dict):
        return False
    return _norm(actual) == _norm(expected)


def _hashable(value: Any) -> bool:
    return not isinstance(value, dict | list | set)


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in {"true", "yes", "1", "on"}:
            return True
        if text in {"false", "no", "0", "off", ""}:
            return False
        return None
    if isinstance(value, int | float):
        return bool(value)
    return None


def _compare(actual: Any, expected: Any) -> int | None:
    """-1/0/1 for numbers or moments; None when they cannot be compared."""
    a_num, e_num = _number(actual), _number(expected)
    if a_num is not None and e_num is not None:
        return (a_num > e_num) - (a_num < e_num)
    a_at, e_at = _moment(actual), _moment(expected)
    if a_at is None or e_at is None:
        return None
    # Aware and naive moments cannot be ordered; treat as unknown rather than raising.
    if (a_at.tzinfo is None) != (e_at.tzinfo is None):
        return None
    return (a_at > e_at) - (a_at < e_at)


def _contains(actual: Any, expected: Any) -> bool:
    if actual is None:
        return False
    if _is_list(actual):
        return any(_equal(item, expected) for item in actual)
    if isinstance(actual, str) and isinstance(expected, str | int | float):
        needle = str(expected).strip().casefold()
        return bool(needle) and needle in actual[:MAX_TEXT].casefold()
    return False


def _member(actual: Any, options: Any) -> bool:
    if not _is_list(options):
        options = [options]
    if _is_list(actual):
        return any(_equal(a, o) for a in actual for o in options)
    if actual is None:
        return False
    return any(_equal(actual, o) for o in options)


# --- word patterns ----------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_WORD = 100  # longer "words" (base64, hashes) are cut: nothing a rule looks for is longer

Glob = tuple[str, ...]  # literal pieces between the "*"s of one word


@lru_cache(maxsize=2048)
def pattern_compile(pattern: str) -> tuple[tuple[Glob, ...], ...] | None:
    """A ``matches`` pattern as alternatives of word globs (None: nothing to match).

    Matching is done on the text's words, not with a backtracking regex: each glob is
    checked with ``startswith``/``find``/``endswith``, so the cost is linear in the text.
    """
    alternatives = []
    for alternative in str(pattern)[:MAX_PATTERN].split("|"):
        words = []
        for raw in alternative.split():
            pieces = tuple("".join(_WORD.findall(piece)).casefold() for piece in raw.split("*"))
            if not any(pieces):
                continue
            words.append(pieces)
        if words:
            alternatives.append(tuple(words))
    return tuple(alternatives) or None


def _glob_match(glob: Glob, word: str) -> bool:
    if len(glob) == 1:
        return word == glob[0]
    first, *middle, last = glob
    if len(word) < len(first) + len(last) or not word.startswith(first):
        return False
    if last and not word.endswith(last):
        return False
    position, end = len(first), len(word) - len(last)
    for piece in middle:
        if not piece:
            continue
        found = word.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


@dataclass(frozen=True)
class _Text:
    words: tuple[str, ...]
    positions: Mapping[str, tuple[int, ...]]  # word -> where it occurs


@lru_cache(maxsize=64)
def _text(text: str) -> _Text:
    words = tuple(w[:MAX_WORD] for w in _WORD.findall(text[:MAX_TEXT].casefold()))
    positions: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        positions.setdefault(word, []).append(i)
    return _Text(words, {w: tuple(p) for w, p in positions.items()})


def _phrase_at(phrase: tuple[Glob, ...], words: tuple[str, ...], start: int) -> bool:
    if start + len(phrase) > len(words):
        return False
    return all(_glob_match(phrase[j], words[start + j]) for j in range(len(phrase)))


@lru_cache(maxsize=4096)
def _text_matches(pattern: str, text: str) -> bool:
    compiled = pattern_compile(pattern)
    if compiled is None:
        return False
    indexed = _text(text)
    for phrase in compiled:
        first = phrase[0]
        if len(first) == 1:
            # A literal first word: look only where it occurs.
            starts: Any = indexed.positions.get(first[0], ())
        else:
            starts = (
                i
                for word, where in indexed.positions.items()
                if _glob_match(first, word)
                for i in where
            )
        if any(_phrase_at(phrase, indexed.words, i) for i in starts):
            return True
    return False


def _matches(actual: Any, pattern: Any) -> bool:
    if not isinstance(pattern, str) or actual is None:
        return False
    if _is_list(actual):
        return any(_matches(item, pattern) for item in actual)
    return _text_matches(pattern, actual if isinstance(actual, str) else str(actual))


# --- compiling --------------------------------------------------------------------------------


def _changes(facts: Facts) -> Mapping[str, Any]:
    changes = facts.get("changes")
    return changes if isinstance(changes, Mapping) else {}


def _change_side(facts: Facts, field: str, side: str) -> tuple[bool, Any]:
    change = _changes(facts).get(field)
    if not isinstance(change, Mapping):
        return False, None
    return True, change.get(side)


def _leaf(node: Mapping[str, Any]) -> Check:
    field = node.get("field")
    op = node.get("op")
    value = node.get("value")
    if not isinstance(field, str):
        field = ""
    fast = _fast_leaf(field, op, value)
    if fast is not None:
        return fast
    if op == "eq":
        return lambda facts, cal: facts.get(field) is not None and _equal(facts.get(field), value)
    if op == "ne":
        return lambda facts, cal: (
            not (facts.get(field) is not None and _equal(facts.get(field), value))
        )
    if op == "in":
        return lambda facts, cal: _member(facts.get(field), value)
    if op == "not_in":
        return lambda facts, cal: not _member(facts.get(field), value)
    if op == "contains":
        return lambda facts, cal: _contains(facts.get(field), value)
    if op == "not_contains":
        return lambda facts, cal: not _contains(facts.get(field), value)
    if op in ("gt", "lt", "gte", "lte"):
        wanted = {"gt": (1,), "lt": (-1,), "gte": (0, 1), "lte": (-1, 0)}[op]
        return lambda facts, cal: _compare(facts.get(field), value) in wanted
    if op == "is_empty":
        flag = _truth(value)
        expect = True if flag is None else flag
        return lambda facts, cal: _empty(facts.get(field)) == expect
    if op == "changed":
        flag = _truth(value)
        expect = True if flag is None else flag
        return lambda facts, cal: (field in _changes(facts)) == expect
    if op == "changed_from":

        def changed_from(facts: Facts, cal: OpenHours | None) -> bool:
            present, old = _change_side(facts, field, "from")
            return present and _equal_or_empty(old, value)

        return changed_from
    if op == "changed_to":

        def changed_to(facts: Facts, cal: OpenHours | None) -> bool:
            present, new = _change_side(facts, field, "to")
            return present and _equal_or_empty(new, value)

        return changed_to
    if op == "matches":
        return lambda facts, cal: _matches(facts.get(field), value)
    if op == "in_business_hours":
        flag = _truth(value)
        expect = True if flag is None else flag

        def in_hours(facts: Facts, cal: OpenHours | None) -> bool:
            at = facts.get("event.at")
            if not isinstance(at, datetime):
                return False
            if cal is None:
                return expect  # no calendar: the desk counts around the clock
            try:
                return bool(cal.is_open(at)) == expect
            except Exception:  # noqa: BLE001 - a broken calendar must not stop the rules
                return False

        return in_hours
    return lambda facts, cal: False


def _word(value: Any) -> str | None:
    """``value`` as a compared word when it is a plain non-numeric string, else None."""
    if isinstance(value, str) and _number(value) is None and _truth(value) is None:
        return value.strip().casefold()
    return None


def _fast_leaf(field: str, op: Any, value: Any) -> Check | None:
    """Specialised checks for the common case, a text field against words (no Decimal,
    no datetime parsing per call). Anything else takes the general path; both agree."""
    if op in ("eq", "ne"):
        word = _word(value)
        if word is None:
            return None
        positive = op == "eq"

        def equal(facts: Facts, cal: OpenHours | None) -> bool:
            actual = facts.get(field)
            if isinstance(actual, str):
                return (actual.strip().casefold() == word) == positive
            return (actual is not None and _equal(actual, value)) == positive

        return equal
    if op in ("in", "not_in") and isinstance(value, list):
        words = [_word(v) for v in value]
        if not words or any(w is None for w in words):
            return None
        options = frozenset(w for w in words if w is not None)
        positive = op == "in"

        def member(facts: Facts, cal: OpenHours | None) -> bool:
            actual = facts.get(field)
            if isinstance(actual, str):
                return (actual.strip().casefold() in options) == positive
            return _member(actual, value) == positive

        return member
    if op in ("contains", "not_contains") and isinstance(value, str):
        needle = value.strip().casefold()
        word = _word(value)
        positive = op == "contains"

        def contains(facts: Facts, cal: OpenHours | None) -> bool:
            actual = facts.get(field)
            if isinstance(actual, str):
                found = bool(needle) and needle in actual[:MAX_TEXT].casefold()
                return found == positive
            if (
                word is not None
                and isinstance(actual, list)
                and all(isinstance(a, str) for a in actual)
            ):
                return any(a.strip().casefold() == word for a in actual) == positive
            return _contains(actual, value) == positive

        return contains
    return None


def _equal_or_empty(actual: Any, expected: Any) -> bool:
    """``changed_from: ""`` means "was empty" (e.g. no assignee before)."""
    if _empty(expected) and not isinstance(expected, bool):
        return _empty(actual)
    return actual is not None and _equal(actual, expected)


def _compile(node: Any, depth: int) -> Check:
    if depth > MAX_DEPTH or not isinstance(node, Mapping):
        return lambda facts, cal: False
    if "all" in node:
        parts = [_compile(c, depth + 1) for c in _children(node["all"])]
        return lambda facts, cal: all(p(facts, cal) for p in parts)
    if "any" in node:
        parts = [_compile(c, depth + 1) for c in _children(node["any"])]
        return lambda facts, cal: any(p(facts, cal) for p in parts)
    if "not" in node:
        inner = _compile(node["not"], depth + 1)
        return lambda facts, cal: not inner(facts, cal)
    return _leaf(node)


def _children(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def condition_compile(condition: Any) -> Check:
    """Compile once, call many times: ``check(facts, calendar)``. ``None``/``{}``: always."""
    if condition is None or condition == {} or condition == []:
        return lambda facts, cal: True
    return _compile(condition, 0)


def condition_evaluate(condition: Any, facts: Facts, *, calendar: OpenHours | None = None) -> bool:
    """Does ``condition`` hold for ``facts``? Never raises on odd data or missing fields."""
    try:
        return condition_compile(condition)(facts, calendar)
    except Exception:  # noqa: BLE001 - data from JSON must never break the engine
        return False


# --- validating (for the editor) --------------------------------------------------------------


def condition_validate(condition: Any, *, fields: frozenset[str] | None = None) -> list[str]:
    """Problems that keep a condition from being saved (empty list: fine)."""
    problems: list[str] = []

    def walk(node: Any, depth: int, where: str) -> None:
        if depth > MAX_DEPTH:
            problems.append(f"{where}: nested too deeply")
            return
        if not isinstance(node, Mapping):
            problems.append(f"{where}: expected an object")
            return
        groups = [k for k in ("all", "any", "not") if k in node]
        if len(groups) > 1:
            problems.append(f"{where}: use one of all/any/not per object")
            return
        if groups:
            key = groups[0]
            if key == "not":
                walk(node["not"], depth + 1, f"{where}.not")
                return
            if not isinstance(node[key], list):
                problems.append(f"{where}.{key}: expected a list")
                return
            for i, child in enumerate(node[key]):
                walk(child, depth + 1, f"{where}.{key}[{i}]")
            return
        field, op, value = node.get("field"), node.get("op"), node.get("value")
        if op not in OPERATORS:
            problems.append(f"{where}: unknown operator {op!r}")
            return
        if op != "in_business_hours" and (not isinstance(field, str) or not field):
            problems.append(f"{where}: a field is required")
        elif fields is not None and op != "in_business_hours" and field not in fields:
            problems.append(f"{where}: unknown field {field!r}")
        if op in LIST_OPERATORS and not isinstance(value, list):
            problems.append(f"{where}: {op} needs a list of values")
        if op in ("gt", "lt", "gte", "lte") and _number(value) is None and _moment(value) is None:
            problems.append(f"{where}: {op} needs a number or a date")
        if op == "matches":
            if not isinstance(value, str) or pattern_compile(value) is None:
                problems.append(f"{where}: matches needs words to look for")
            elif len(value) > MAX_PATTERN:
                problems.append(f"{where}: the pattern is longer than {MAX_PATTERN} characters")

    if condition in (None, {}, []):
        return problems
    walk(condition, 0, "conditions")
    return problems


def condition_fields(condition: Any) -> set[str]:
    """Every field a condition reads (so facts that need a query are built only when used)."""
    found: set[str] = set()

    def walk(node: Any, depth: int) -> None:
        if depth > MAX_DEPTH or not isinstance(node, Mapping):
            return
        for key in ("all", "any"):
            if key in node:
                for child in _children(node[key]):
                    walk(child, depth + 1)
                return
        if "not" in node:
            walk(node["not"], depth + 1)
            return
        if isinstance(node.get("field"), str):
            found.add(node["field"])
        if node.get("op") == "in_business_hours":
            found.add("event.at")

    walk(condition, 0)
    return found
