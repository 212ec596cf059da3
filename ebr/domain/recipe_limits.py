"""The limits of a recipe, in one place: of its text, of its YAML, and of its content.

docs/recipe-format.md ("Limits") gives the reason for each. The text and YAML limits are enforced
by ``ebr.domain.recipe_yaml``; the content limits by the models of ``ebr.domain.recipe``, so every
way of building a Recipe is bounded, whether from text, from data or from storage.
"""

from __future__ import annotations

__all__ = [
    "MAX_CODE",
    "MAX_DECIMAL_DIGITS",
    "MAX_DECIMAL_EXPONENT",
    "MAX_DESCRIPTION",
    "MAX_ID",
    "MAX_INPUTS",
    "MAX_INSTRUCTIONS",
    "MAX_MINUTES",
    "MAX_NAME",
    "MAX_NESTING",
    "MAX_NODES",
    "MAX_OPERATIONS",
    "MAX_OPTION",
    "MAX_OPTIONS",
    "MAX_PROBLEMS",
    "MAX_RECIPE_JSON_BYTES",
    "MAX_STEPS",
    "MAX_TEXT_BYTES",
    "MAX_TEXT_INPUT",
    "MAX_UNIT",
    "MAX_UNIT_PROCEDURES",
    "MAX_VERSION",
]

# The text --------------------------------------------------------------------------------------
# Refused before parsing. The largest example (gran-pcm500, 33 steps) is 26 KB.
MAX_TEXT_BYTES = 1_000_000
# Mappings and lists inside one another; a recipe needs 10 (recipe › procedure › unit procedure ›
# operations › operation › steps › step › inputs › input › options).
MAX_NESTING = 20
# Every mapping, list, key and value in the text. Reading costs a few microseconds for each, so this
# bounds the time a text of tiny values ("[[],[],[],...]") can take; gran-pcm500 has 41 per step,
# so a recipe of MAX_STEPS such steps needs 41,000.
MAX_NODES = 100_000

# The recipe as a whole -------------------------------------------------------------------------
# A batch's workflow carries the recipe and every step's progress in one Temporal payload, which
# must stay under 2 MB. Measured: about 640 bytes of recipe JSON and 200 bytes of progress per
# step of gran-pcm500, so 1,000 such steps make 0.85 MB and 2,000 make 1.7 MB, too close.
MAX_STEPS = 1_000
# The recipe's JSON as the workflow carries it (defaults written out); this bounds what the
# per-field limits alone do not (1,000 steps of 4,000-character instructions would be 4 MB).
MAX_RECIPE_JSON_BYTES = 1_000_000
MAX_UNIT_PROCEDURES = 100
MAX_OPERATIONS = 500
MAX_VERSION = 1_000_000

# Items -----------------------------------------------------------------------------------------
MAX_INPUTS = 50  # per step
MAX_OPTIONS = 50  # per choice input
MAX_ID = 64  # step, operation, unit procedure and input ids
MAX_CODE = 32  # recipe and product codes
MAX_NAME = 200  # names and labels
MAX_OPTION = 200  # each option of a choice
MAX_INSTRUCTIONS = 4_000  # a step's instructions
MAX_DESCRIPTION = 4_000  # the recipe's description
MAX_UNIT = 16  # the longest known unit is 5 characters
MAX_TEXT_INPUT = 20_000  # the largest max_length of a text input
# Time limits of a step, in minutes: 30 days.
MAX_MINUTES = 30 * 24 * 60

# Decimals (limits and the batch size), as for values entered (ebr.domain.values): below 10^16 and,
# unless zero, at least 10^-15 in magnitude, with at most 28 significant digits.
MAX_DECIMAL_EXPONENT = 15
MAX_DECIMAL_DIGITS = 28

# Refusals --------------------------------------------------------------------------------------
# A refusal lists at most this many problems (and says how many more there are).
MAX_PROBLEMS = 100
