from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from jointreview.rules import RuleError, evaluate_applicability, validate_rule
from tests.factories import ItemFactory


def project(**kw):
    base = dict(floor_area=Decimal("25000"), underground_area=Decimal("5000"), height_m=Decimal("60"),
                investment=Decimal("30000"), special_construction=True, flow_type="social",
                land_with_scheme=False, land_acquisition="transfer")
    base.update(kw)
    return SimpleNamespace(**base)


def test_empty_rule_always_applies():
    applies, reason = evaluate_applicability({}, project(), item_name="施工图审查")
    assert applies is True
    assert "施工图审查" in reason and "always" in reason


def test_comparison_reason_names_value_and_item():
    rule = {"field": "underground_area", "op": ">", "value": 0}
    applies, reason = evaluate_applicability(rule, project(), item_name="人防")
    assert applies is True
    assert reason == "地下建筑面积 5000㎡ > 0㎡: 人防 review required"
    applies, reason = evaluate_applicability(rule, project(underground_area=Decimal("0")), item_name="人防")
    assert applies is False
    assert "地下建筑面积 0㎡ ≤ 0㎡" in reason and "not required" in reason


@pytest.mark.parametrize(
    "rule, expected",
    [
        ({"field": "floor_area", "op": ">=", "value": 25000}, True),
        ({"field": "floor_area", "op": "<", "value": 25000}, False),
        ({"field": "height_m", "op": "<=", "value": "60.0"}, True),
        ({"field": "flow_type", "op": "in", "value": ["social", "small"]}, True),
        ({"field": "flow_type", "op": "!=", "value": "social"}, False),
        ({"field": "special_construction", "op": "==", "value": True}, True),
        ({"all": [{"field": "investment", "op": ">", "value": 1}, {"field": "land_with_scheme", "op": "==",
                                                                  "value": True}]}, False),
        ({"any": [{"field": "investment", "op": ">", "value": 1e9}, {"field": "land_acquisition", "op": "==",
                                                                    "value": "transfer"}]}, True),
        ({"not": {"field": "special_construction", "op": "==", "value": True}}, False),
    ],
)
def test_operators_and_combinators(rule, expected):
    assert evaluate_applicability(rule, project())[0] is expected


@pytest.mark.parametrize(
    "rule, message",
    [
        ([], "JSON object"),
        ({"field": "colour", "op": "==", "value": 1}, "unknown field 'colour'"),
        ({"field": "floor_area", "op": "~", "value": 1}, "unknown operator"),
        ({"field": "flow_type", "op": ">", "value": "social"}, "only applies to numeric"),
        ({"field": "floor_area", "op": ">", "value": "big"}, "expected a number"),
        ({"field": "special_construction", "op": "==", "value": "yes"}, "true or false"),
        ({"field": "flow_type", "op": "in", "value": []}, "non-empty list"),
        ({"all": []}, "non-empty list"),
        ({"any": [{"field": "x", "op": ">", "value": 1}]}, "rule.any[0]: unknown field"),
        ({"field": "floor_area", "op": ">"}, "expected {}"),
    ],
)
def test_invalid_rules_raise_value_error_with_clear_message(rule, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate_rule(rule)


@pytest.mark.django_db
def test_item_clean_refuses_an_invalid_rule_in_the_users_language():
    item = ItemFactory(applicability={"field": "floor_area", "op": ">", "value": 0})
    item.full_clean()
    item.applicability = {"field": "floors", "op": ">", "value": 3}
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        item.full_clean()
    assert "applicability" in exc.value.message_dict
    message = exc.value.message_dict["applicability"][0]
    assert message.startswith("Invalid applicability rule: rule: unknown field 'floors'")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        item.full_clean()
    message = exc.value.message_dict["applicability"][0]
    assert message.startswith("适用条件无效：rule：未知字段 'floors'") and "floor_area" in message


def test_rule_errors_carry_their_message_id_and_parameters():
    """The pure core cannot translate (no Django): the boundary translates ``message`` with ``params``."""
    with pytest.raises(RuleError) as exc:
        validate_rule({"all": [{"field": "height_m", "op": ">", "value": "tall"}]})
    assert exc.value.message == "%(path)s: expected a number, got %(value)s"
    assert exc.value.params == {"path": "rule.all[0]", "value": "'tall'"}
    assert str(exc.value) == "rule.all[0]: expected a number, got 'tall'"
    with translation.override("zh-hans"):
        assert translation.gettext(exc.value.message) % exc.value.params == "rule.all[0]：应为数字，实际为 'tall'"
