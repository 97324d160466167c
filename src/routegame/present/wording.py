"""Policy and regime wording, written once for the guideline, the report, the CLI and figures.

Examples
--------
>>> policy_words(1, 0.25)
'route to M1 and cascade re-prompts to M2 with probability 0.25'
>>> response_words(1.0)
'the user abandons after the first failure'
"""

from __future__ import annotations

__all__ = ["REGIME_TEXT", "fmt", "fmt_value", "policy_label", "policy_words", "response_words"]

#: One clause per regime (sign pattern of (ξ_1, ξ_2)).
REGIME_TEXT: dict[str, str] = {
    "value-value": "both models are worth their wait (ξ₁ > 0, ξ₂ > 0)",
    "latency-latency": "neither model is worth its wait (ξ₁ < 0, ξ₂ < 0)",
    "latency-value": "M1 is not worth its wait but M2 is (ξ₁ < 0 < ξ₂)",
    "value-latency": "M1 is worth its wait but M2 is not (ξ₂ < 0 < ξ₁)",
    "knife-edge": "a model is exactly worth its wait (ξ₁ = 0 or ξ₂ = 0)",
}


def fmt(x: float, digits: int = 3) -> str:
    """A number in prose: ``digits`` significant digits."""
    return f"{x:.{digits}g}"


def policy_words(route: int, cascade: float, abandon: float = 0.0) -> str:
    """The provider's two-model policy (route i, cascade s) in words."""
    if route == 2:
        return "route every task to M2"
    if abandon == 1 and cascade > 0:
        return ("route to M1 with a cascade high enough that the user leaves after the first "
                "failure (every s >= s_high gives the same outcome; s = 1 is reported)")
    if cascade == 0:
        return "route to M1 with no cascade"
    if cascade == 1:
        return "route to M1 and send every re-prompt to M2"
    return f"route to M1 and cascade re-prompts to M2 with probability {fmt(cascade)}"


def response_words(abandon: float) -> str:
    """The user's stationary response q in words."""
    if abandon == 0:
        return "the user never abandons"
    if abandon == 1:
        return "the user abandons after the first failure"
    return f"the user abandons after a failure with probability {fmt(abandon)}"


def policy_label(route: int, cascade: float) -> str:
    """A short table label of the two-model policy (route i, cascade s).

    Examples
    --------
    >>> policy_label(1, 1.0), policy_label(2, 0.0)
    ('M1, every re-prompt to M2', 'M2 only')
    """
    if route == 2:
        return "M2 only"
    if cascade == 0:
        return "M1 only"
    if cascade == 1:
        return "M1, every re-prompt to M2"
    return f"M1, re-prompt to M2 with probability {fmt(cascade, 4)}"


def fmt_value(x: object, digits: int = 6) -> str:
    """A value in a table or a sentence: numbers to ``digits`` significant digits, ``—`` for
    missing (None or NaN), yes/no for booleans, ``(a, b)`` for sequences.

    Examples
    --------
    >>> fmt_value(None), fmt_value(True), fmt_value(3), fmt_value(2 / 3), fmt_value([1, 0.5])
    ('—', 'yes', '3', '0.666667', '(1, 0.5)')
    """
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, (list, tuple)):
        return "(" + ", ".join(fmt_value(v, digits) for v in x) + ")"
    if isinstance(x, float) or hasattr(x, "__float__"):
        v = float(x)
        if v != v:  # NaN
            return "—"
        return f"{v:.{digits}g}"
    return str(x)
