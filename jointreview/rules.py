"""Applicability rules of catalogue items (适用条件): does an item apply to a project, and why.

Grammar (JSON stored in ``Item.applicability``):

- ``{}``                                   always applies
- ``{"field": f, "op": op, "value": v}``   compare one project field (ops: > >= < <= == != in)
- ``{"all": [rule, ...]}``                 every sub-rule applies
- ``{"any": [rule, ...]}``                 at least one sub-rule applies
- ``{"not": rule}``                        the sub-rule does not apply

Fields are those of ``projects.Project`` listed in ``FIELDS``. An invalid rule raises
``ValueError`` with a message naming the problem (``validate_rule`` is called by ``Item.clean``).
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


def validate_rule(rule: Any, *, path: str = "rule") -> None:
    """Raise ValueError with a clear message if ``rule`` is not a valid applicability rule."""
    if not isinstance(rule, dict):
        raise ValueError(f"{path}: a rule must be a JSON object, got {type(rule).__name__}")
    if not rule:
        return
    keys = set(rule)
    if keys == {"all"} or keys == {"any"}:
        (key,) = keys
        subs = rule[key]
        if not isinstance(subs, list) or not subs:
            raise ValueError(f"{path}.{key}: expected a non-empty list of rules")
        for i, sub in enumerate(subs):
            validate_rule(sub, path=f"{path}.{key}[{i}]")
        return
    if keys == {"not"}:
        validate_rule(rule["not"], path=f"{path}.not")
        if not rule["not"]:
            raise ValueError(f"{path}.not: negating the empty rule would never apply")
        return
    if keys == {"field", "op", "value"}:
        field, op, value = rule["field"], rule["op"], rule["value"]
        if field not in FIELDS:
            raise ValueError(f"{path}: unknown field {field!r}; use one of {', '.join(FIELDS)}")
        if op not in OPS:
            raise ValueError(f"{path}: unknown operator {op!r}; use one of {' '.join(OPS)}")
        kind = FIELDS[field][2]
        if op == "in":
            if not isinstance(value, list) or not value:
                raise ValueError(f"{path}: operator 'in' needs a non-empty list value")
            for v in value:
                _check_value(kind, v, path)
            return
        if op in _ORDER_OPS and kind != "number":
            raise ValueError(f"{path}: operator {op!r} only applies to numeric fields, not {field!r}")
        _check_value(kind, value, path)
        return
    raise ValueError(
        f"{path}: expected {{}} or keys all/any/not or field+op+value, got keys {sorted(keys)}"
    )


def _check_value(kind: str, value: Any, path: str) -> None:
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"{path}: expected a number, got {value!r}")
        try:
            Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{path}: expected a number, got {value!r}")
    elif kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{path}: expected true or false, got {value!r}")
    elif not isinstance(value, str):
        raise ValueError(f"{path}: expected a text value, got {value!r}")


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
        return "是 yes" if value else "否 no"
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
