"""Recipes the dry-run tests share, as their authors would write them (YAML)."""

from __future__ import annotations

from ebr.domain.recipe import Recipe
from ebr.domain.recipe_loading import parse_recipe

TIMED = """\
code: DRY-TIMED
version: 1
name: Granulate and dry, with time limits
product: {code: GRAN-1, name: Granulate}
batch_size: {value: "50", unit: kg}
procedure:
  - id: granulation
    name: Granulation
    operations:
      - id: wet
        name: Wet granulation
        steps:
          - id: mix
            name: Dry mix
            kind: instruction
            instructions: Mix the powders for at least 30 minutes, at most 2 hours.
            min_duration_minutes: 30
            max_duration_minutes: 120
          - id: granulate
            name: Granulate
            kind: record
            verify: true
            instructions: Add the binder at the set temperature.
            inputs:
              - {name: binder-lot, label: Binder lot, type: text, max_length: 20}
              - {name: temperature, label: Binder temperature, type: number, unit: "°C",
                 min: "20.0", max: "25.0", critical: true}
              - {name: impeller, label: Impeller speed, type: number, unit: rpm, min: "150"}
      - id: drying
        name: Drying
        steps:
          - id: dry
            name: Dry
            kind: record
            instructions: Dry within 4 hours of granulation, at least 45 minutes.
            min_duration_minutes: 45
            complete_within: {after: granulate, minutes: 240}
            inputs:
              - {name: lod, label: Loss on drying, type: number, unit: "%", max: "2.0",
                 critical: true}
          - id: qa-check
            name: QA check
            kind: check
            role: qa
            verify: true
            instructions: Check the record.
            inputs:
              - {name: accepted, label: Record accepted, type: check}
"""
"""Waits 30 + 45 minutes; two critical numbers; a QA step verified by a second QA."""

UNREACHABLE = """\
code: DRY-LATE
version: 1
name: A hold time the minimum durations make impossible
product: {code: LATE-1, name: Late product}
batch_size: {value: "10", unit: kg}
procedure:
  - id: main
    name: Main
    operations:
      - id: process
        name: Process
        steps:
          - {id: granulate, name: Granulate, kind: instruction, instructions: Granulate.}
          - {id: cool, name: Cool, kind: instruction, instructions: Cool for 40 minutes.,
             min_duration_minutes: 40}
          - {id: dry, name: Dry, kind: instruction, instructions: Dry for 30 minutes.,
             min_duration_minutes: 30, complete_within: {after: granulate, minutes: 60}}
          - {id: pack, name: Pack, kind: instruction, instructions: Pack.}
"""
"""``dry`` must follow ``granulate`` within 60 minutes, but 40 + 30 minutes must pass first."""


def timed() -> Recipe:
    return parse_recipe(TIMED)


def unreachable() -> Recipe:
    return parse_recipe(UNREACHABLE)
