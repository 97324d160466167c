"""Type aliases and option names shared across routegame."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["ArrayLike", "BoolArray", "FloatArray", "IntArray", "RNGLike", "Regime", "TieBreak"]

ArrayLike: TypeAlias = npt.ArrayLike
FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
RNGLike: TypeAlias = "int | np.random.Generator | np.random.SeedSequence | None"

TieBreak: TypeAlias = Literal["strong", "weak"]
"""How the user's indifference is resolved: in the provider's favour or against it."""

Regime: TypeAlias = Literal[
    "value-value", "latency-latency", "latency-value", "value-latency", "knife-edge"
]
"""Sign pattern of (xi_1, xi_2): the first word describes M1, the second M2.

``"latency-value"`` is xi_1 < 0 < xi_2 and ``"value-latency"`` is xi_1 > 0 > xi_2;
``"knife-edge"`` means some xi_i is exactly 0."""
