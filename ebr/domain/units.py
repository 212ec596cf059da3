"""Units of measure and explicit conversion between units of the same dimension.

A value is never compared across units silently: it is converted by a known linear factor, or
refused. Temperatures are not converted (offset scales); the recipe's unit must be used.
"""

from __future__ import annotations

from decimal import Decimal

from ebr.domain.refusals import UnitMismatch

# unit -> (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, Decimal]] = {
    "kg": ("mass", Decimal("1")),
    "g": ("mass", Decimal("0.001")),
    "mg": ("mass", Decimal("0.000001")),
    "t": ("mass", Decimal("1000")),
    "L": ("volume", Decimal("1")),
    "mL": ("volume", Decimal("0.001")),
    "hL": ("volume", Decimal("100")),
    "m3": ("volume", Decimal("1000")),
    "s": ("time", Decimal("1")),
    "min": ("time", Decimal("60")),
    "h": ("time", Decimal("3600")),
    "m": ("length", Decimal("1")),
    "cm": ("length", Decimal("0.01")),
    "mm": ("length", Decimal("0.001")),
    "bar": ("pressure", Decimal("1")),
    "mbar": ("pressure", Decimal("0.001")),
    "kPa": ("pressure", Decimal("0.01")),
    "Pa": ("pressure", Decimal("0.00001")),
    "%": ("ratio", Decimal("1")),
    "°C": ("temperature_c", Decimal("1")),
    "rpm": ("rotation", Decimal("1")),
    "pH": ("ph", Decimal("1")),
    "N": ("force", Decimal("1")),
    "kN": ("force", Decimal("1000")),
    "kp": ("hardness_kp", Decimal("1")),
    "°Bx": ("brix", Decimal("1")),
    "µS/cm": ("conductivity", Decimal("1")),
    "mS/cm": ("conductivity", Decimal("1000")),
    "units": ("count", Decimal("1")),
    "pcs": ("count", Decimal("1")),
    "kg/h": ("mass_flow", Decimal("1")),
    "L/h": ("volume_flow", Decimal("1")),
    "L/min": ("volume_flow", Decimal("60")),
    "mg/L": ("concentration", Decimal("1")),
    "ppm": ("concentration", Decimal("1")),
    "CFU/g": ("bioburden", Decimal("1")),
    "CFU/mL": ("bioburden_vol", Decimal("1")),
}

KNOWN_UNITS: frozenset[str] = frozenset(_UNITS)


def is_known(unit: str) -> bool:
    return unit in _UNITS


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Convert ``value`` from one unit to another of the same dimension, or raise UnitMismatch."""
    if from_unit == to_unit:
        return value
    if from_unit not in _UNITS:
        raise UnitMismatch(f"unknown unit {from_unit!r}", {"unit": from_unit})
    if to_unit not in _UNITS:
        raise UnitMismatch(f"unknown unit {to_unit!r}", {"unit": to_unit})
    from_dim, from_factor = _UNITS[from_unit]
    to_dim, to_factor = _UNITS[to_unit]
    if from_dim != to_dim:
        raise UnitMismatch(
            f"cannot convert {from_unit} to {to_unit}: they measure different things",
            {"from": from_unit, "to": to_unit},
        )
    return value * from_factor / to_factor
