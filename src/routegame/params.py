"""Compatibility alias: the parameters live in :mod:`routegame.model.params`."""

from routegame.model.params import (
    BOUNDS,
    TWO_MODEL_FIELDS,
    GameParams,
    ModelSpec,
    check_array,
    check_scalar,
    check_tie_break,
    describe_range,
)

__all__ = [
    "BOUNDS",
    "TWO_MODEL_FIELDS",
    "GameParams",
    "ModelSpec",
    "check_array",
    "check_scalar",
    "check_tie_break",
    "describe_range",
]
