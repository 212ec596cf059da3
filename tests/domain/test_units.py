"""Units: explicit conversion within a dimension, refusal across dimensions and of unknown units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ebr.domain.refusals import UnitMismatch
from ebr.domain.units import KNOWN_UNITS, convert, is_known


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        ("500", "g", "kg", "0.5"),
        ("1.5", "kg", "g", "1500"),
        ("600", "mg", "g", "0.6"),
        ("2", "t", "kg", "2000"),
        ("250", "mL", "L", "0.25"),
        ("1", "hL", "L", "100"),
        ("1", "m3", "hL", "10"),
        ("90", "min", "h", "1.5"),
        ("2", "min", "s", "120"),
        ("5", "cm", "mm", "50"),
        ("1013", "mbar", "bar", "1.013"),
        ("100", "kPa", "bar", "1"),
        ("1.2", "mS/cm", "µS/cm", "1200"),
        ("12", "kN", "N", "12000"),
        ("6", "L/min", "L/h", "360"),
    ],
)
def test_conversion_within_a_dimension(
    value: str, from_unit: str, to_unit: str, expected: str
) -> None:
    assert convert(Decimal(value), from_unit, to_unit) == Decimal(expected)


def test_same_unit_is_returned_unchanged() -> None:
    value = Decimal("92.50")
    assert str(convert(value, "°C", "°C")) == "92.50"


@pytest.mark.parametrize(
    ("from_unit", "to_unit"),
    [("kg", "L"), ("kp", "N"), ("°C", "%"), ("ppm", "%"), ("pcs", "kg"), ("kg/h", "L/h")],
)
def test_different_dimensions_are_refused(from_unit: str, to_unit: str) -> None:
    with pytest.raises(UnitMismatch) as caught:
        convert(Decimal("1"), from_unit, to_unit)
    assert caught.value.details == {"from": from_unit, "to": to_unit}
    assert "measure different things" in caught.value.message


@pytest.mark.parametrize(
    ("from_unit", "to_unit", "unknown"), [("lb", "kg", "lb"), ("kg", "oz", "oz")]
)
def test_unknown_units_are_refused(from_unit: str, to_unit: str, unknown: str) -> None:
    with pytest.raises(UnitMismatch) as caught:
        convert(Decimal("1"), from_unit, to_unit)
    assert caught.value.details == {"unit": unknown}
    assert caught.value.code == "unit_mismatch"


def test_known_units_are_case_sensitive() -> None:
    assert is_known("mL") and is_known("kp") and is_known("°Bx") and is_known("µS/cm")
    assert not is_known("ml") and not is_known("KG") and not is_known("°F")
    assert "%" in KNOWN_UNITS
