"""Real domain objects for store tests: a small recipe from YAML, a batch header, signed records
of a batch's chain and of a lot's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ebr.domain.batch import BatchHeader, quantity
from ebr.domain.meanings import Meaning
from ebr.domain.recipe import Recipe
from ebr.domain.recipe_loading import parse_recipe
from ebr.domain.signed_records import RecordPayload, SignedRecord, Signer, step_record_id
from ebr.domain.subjects import Chain, ChainKind, Subject, SubjectKind, batch_chain, step_subject
from ebr.domain.values import RecordedValue

T0 = datetime(2025, 3, 4, 8, 30, 15, 123456, tzinfo=UTC)

RECIPE_YAML = """\
# A two-step mixing recipe, small enough to read in a test.
code: MIX-{code}
version: {version}
name: Syrup mixing
product:
  code: SYR-01
  name: Sugar syrup 1 L
batch_size:
  value: "250.000"
  unit: kg
procedure:
  - id: mixing
    name: Mixing
    operations:
      - id: charge
        name: Charge the vessel
        steps:
          - id: weigh-sugar
            name: Weigh sugar
            kind: record
            verify: true
            instructions: Weigh {sugar} kg of sugar into the vessel.
            inputs:
              - name: sugar-mass
                label: Sugar mass
                type: number
                unit: kg
                min: "99.5"
                max: "100.5"
                critical: true
          - id: mixer-clean
            name: Mixer clean
            kind: check
            instructions: Confirm the mixer is clean.
            inputs:
              - name: clean
                label: Mixer is clean
                type: check
"""


def recipe_source(code: str = "A", version: int = 1, sugar: str = "100") -> str:
    return RECIPE_YAML.format(code=code, version=version, sugar=sugar)


def recipe(code: str = "A", version: int = 1, sugar: str = "100") -> Recipe:
    return parse_recipe(recipe_source(code, version, sugar))


def header(
    batch_id: str = "b-1",
    *,
    number: str | None = None,
    planned: str = "250.000",
    at: datetime = T0,
    made_from: Recipe | None = None,
) -> BatchHeader:
    source = made_from or recipe()
    return BatchHeader(
        batch_id=batch_id,
        batch_number=number or f"N-{batch_id}",
        recipe_code=source.code,
        recipe_version=source.version,
        recipe_hash=source.content_hash(),
        product_code=source.product.code,
        planned_quantity=quantity(Decimal(planned), "kg"),
        created_by="sam",
        created_at=at,
    )


def weighing(batch_id: str = "b-1", *, seq: int = 1, mass: str = "100.02") -> SignedRecord:
    """Olga's weighing of the sugar, as the workflow would record it."""
    return SignedRecord(
        record_id=step_record_id(batch_id, "weigh-sugar", 1, Meaning.PERFORMED),
        chain=batch_chain(batch_id),
        seq=seq,
        subject=step_subject("weigh-sugar"),
        execution=1,
        meaning=Meaning.PERFORMED,
        values=(
            RecordedValue(
                name="sugar-mass",
                type="number",
                value=mass,
                unit="kg",
                entered=f"{Decimal(mass) * 1000} g",
                in_spec=True,
                critical=True,
            ),
        ),
        comment="weighed on scale S-3",
        user_id="olga",
        user_name="Olga Operator",
        station="line-1",
        recorded_at=T0 + timedelta(minutes=5),
    )


def lot_release(lot_id: str = "LOT-1", *, seq: int = 1) -> SignedRecord:
    """Quinn's release of a lot for use: a record of the lot's own chain, outside any batch."""
    chain = Chain(kind=ChainKind.LOT, id=lot_id)
    return RecordPayload(
        chain=chain,
        seq=seq,
        prev_hash="0" * 64,
        subject=Subject(kind=SubjectKind.LOT, id=lot_id),
        meaning=Meaning.APPROVED,
        reason="certificate of analysis checked",
        detail={"status": "released"},
        signer=Signer(user_id="quinn", full_name="Quinn QA"),
        station="qa-lab",
        signed_at=T0 + timedelta(hours=1, seconds=seq),
    ).to_record()
