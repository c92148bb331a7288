"""Applicability rules of catalogue items (适用条件): does an item apply to a project, and why.

Grammar (JSON stored in ``Item.applicability``):

- ``{}``                                   always applies
- ``{"field": f, "op": op, "value": v}``   compare one project field (ops: > >= < <= == != in)
- ``{"all": [rule, ...]}``                 every sub-rule applies
- ``{"any": [rule, ...]}``                 at least one sub-rule applies
- ``{"not": rule}``                        the sub-rule does not apply

Fields are those of ``projects.Project`` listed in ``FIELDS``. An invalid rule raises ``RuleError``
(a ValueError) naming the problem in English, with its message id and parameters for the boundary
to translate (``validate_rule`` is called by ``Item.clean``; see ``gettext_noop`` below).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

# field -> (Chinese label, unit, kind)
FIELDS: dict[str, tuple[str, str, str]] = {
    "floor_area": ("总建筑面积", "㎡", "number"),
    "underground_area": ("地下建筑面积", "㎡", "number"),
    "height_m": ("建筑高度", "m", "number"),
    "investment": ("总投资", "万元", "number"),
    "special_construction": ("特殊建设工程", "", "bool"),
    "flow_type": ("审批流程类型", "", "choice"),
    "land_with_scheme": ("土地带设计方案", "", "bool"),
    "land_acquisition": ("土地获取方式", "", "choice"),
}
OPS = (">", ">=", "<", "<=", "==", "!=", "in")
_ORDER_OPS = {">", ">=", "<", "<="}


def gettext_noop(message: str) -> str:
    """Marks an English message id for ``makemessages`` (which extracts every ``gettext_noop("...")``).

    This pure core may not import Django (.importlinter), so it cannot translate: it raises a
    :class:`RuleError` carrying the English message id and its parameters, and the boundary that
    shows the error translates it (``Item.clean``: ``gettext(exc.message) % exc.params``)."""
    return message


class RuleError(ValueError):
    """An invalid rule. ``message``: an English message id with ``%(name)s`` placeholders (marked with
    ``gettext_noop``, in the zh_Hans catalogue); ``params``: their values; ``str()``: the English text."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message, self.params = message, params
        super().__init__(message % params)


def validate_rule(rule: Any, *, path: str = "rule") -> None:
    """Raise :class:`RuleError` (a ValueError) with a clear message if ``rule`` is not a valid
    applicability rule."""
    if not isinstance(rule, dict):
        raise RuleError(gettext_noop("%(path)s: a rule must be a JSON object, got %(type)s"),
                        path=path, type=type(rule).__name__)
    keys = set(rule)
    if not keys:
        return
    if keys == {"all"} or keys == {"any"}:
        _validate_combination(rule, keys.pop(), path)
    elif keys == {"not"}:
        _validate_negation(rule["not"], path)
    elif keys == {"field", "op", "value"}:
        _validate_comparison(rule["field"], rule["op"], rule["value"], path)
    else:
        raise RuleError(
            gettext_noop("%(path)s: expected {} or keys all/any/not or field+op+value, got keys %(keys)s"),
            path=path, keys=sorted(keys),
        )


def _validate_combination(rule: dict, key: str, path: str) -> None:
    subs = rule[key]
    if not isinstance(subs, list) or not subs:
        raise RuleError(gettext_noop("%(path)s: expected a non-empty list of rules"), path=f"{path}.{key}")
    for i, sub in enumerate(subs):
        validate_rule(sub, path=f"{path}.{key}[{i}]")


def _validate_negation(sub: Any, path: str) -> None:
    validate_rule(sub, path=f"{path}.not")
    if not sub:
        raise RuleError(gettext_noop("%(path)s: negating the empty rule would never apply"),
                        path=f"{path}.not")


def _validate_comparison(field: Any, op: Any, value: Any, path: str) -> None:
    if field not in FIELDS:
        raise RuleError(gettext_noop("%(path)s: unknown field %(field)s; use one of %(fields)s"),
                        path=path, field=repr(field), fields=", ".join(FIELDS))
    if op not in OPS:
        raise RuleError(gettext_noop("%(path)s: unknown operator %(op)s; use one of %(ops)s"),
                        path=path, op=repr(op), ops=" ".join(OPS))
    kind = FIELDS[field][2]
    if op == "in":
        if not isinstance(value, list) or not value:
            raise RuleError(gettext_noop("%(path)s: operator 'in' needs a non-empty list value"), path=path)
        for v in value:
            _check_value(kind, v, path)
        return
    if op in _ORDER_OPS and kind != "number":
        raise RuleError(
            gettext_noop("%(path)s: operator %(op)s only applies to numeric fields, not %(field)s"),
            path=path, op=repr(op), field=repr(field),
        )
    _check_value(kind, value, path)


def _check_value(kind: str, value: Any, path: str) -> None:
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise RuleError(gettext_noop("%(path)s: expected a number, got %(value)s"),
                            path=path, value=repr(value))
        try:
            Decimal(str(value))
        except InvalidOperation:
            raise RuleError(gettext_noop("%(path)s: expected a number, got %(value)s"),
                            path=path, value=repr(value)) from None
    elif kind == "bool":
        if not isinstance(value, bool):
            raise RuleError(gettext_noop("%(path)s: expected true or false, got %(value)s"),
                            path=path, value=repr(value))
    elif not isinstance(value, str):
        raise RuleError(gettext_noop("%(path)s: expected a text value, got %(value)s"),
                        path=path, value=repr(value))


def _compare(actual: Any, op: str, expected: Any, kind: str) -> bool:
    if kind == "number":
        actual = Decimal(str(actual))
        expected = [Decimal(str(v)) for v in expected] if op == "in" else Decimal(str(expected))
    if op == "in":
        return actual in expected
    if op == "==":
        return actual == expected
    if op == "!=":
        return actual != expected
    return {">": actual > expected, ">=": actual >= expected, "<": actual < expected, "<=": actual <= expected}[op]


def _fmt(value: Any, kind: str, unit: str) -> str:
    if kind == "number":
        d = Decimal(str(value))
        text = f"{d.normalize():f}" if d == d.to_integral() else f"{d:f}"
        return f"{text}{unit}"
    if kind == "bool":
        return "是" if value else "否"  # the reasons are stored in Chinese (derive_items)
    return str(value)


def _explain(rule: dict, project) -> tuple[bool, str]:
    if not rule:
        return True, "无适用条件, 均需办理"
    if "all" in rule:
        results = [_explain(sub, project) for sub in rule["all"]]
        ok = all(r for r, _ in results)
        shown = [t for r, t in results if r == ok] if ok else [t for r, t in results if not r][:1]
        return ok, "; ".join(shown)
    if "any" in rule:
        results = [_explain(sub, project) for sub in rule["any"]]
        ok = any(r for r, _ in results)
        shown = [t for r, t in results if r][:1] if ok else [t for _, t in results]
        return ok, "; ".join(shown)
    if "not" in rule:
        ok, text = _explain(rule["not"], project)
        return (not ok), f"非({text})"
    field, op, value = rule["field"], rule["op"], rule["value"]
    label, unit, kind = FIELDS[field]
    actual = getattr(project, field)
    ok = _compare(actual, op, value, kind)
    shown_value = "/".join(_fmt(v, kind, unit) for v in value) if op == "in" else _fmt(value, kind, unit)
    sym = op if ok else {">": "≤", ">=": "<", "<": "≥", "<=": ">", "==": "≠", "!=": "=", "in": "∉"}[op]
    if op == "in" and ok:
        sym = "∈"
    return ok, f"{label} {_fmt(actual, kind, unit)} {sym} {shown_value}"


def evaluate_applicability(rule: dict | None, project, *, item_name: str = "") -> tuple[bool, str]:
    """(applies, reason). ``reason`` is Chinese then English, e.g.
    "地下建筑面积 5000㎡ > 0: 人防 review required"."""
    rule = rule or {}
    validate_rule(rule)
    ok, text = _explain(rule, project)
    what = item_name or "item"
    if not rule:
        return True, f"{text}: {what} always required"
    return ok, f"{text}: {what} review {'required' if ok else 'not required'}"
