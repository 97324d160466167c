"""Exceptions raised by routegame.

The tree::

    RouteGameError                 base class, never raised directly
    ├── ParameterError (ValueError)  a parameter, option or input field is out of range or malformed
    │   └── DataFormatError          a config, scenario, JSON line, CSV or Parquet file is malformed
    ├── ResourceError              not enough memory or disk, a full disk, an output locked
    └── NotSolvableError           a question the requested engine cannot answer

Every message is one line that names the field at fault and the allowed range, so the CLI can
print it as it is and exit with status 2.
"""

from __future__ import annotations

__all__ = [
    "DataFormatError",
    "NotSolvableError",
    "ParameterError",
    "ResourceError",
    "RouteGameError",
]


class RouteGameError(Exception):
    """Base class of every error raised on purpose by routegame."""


class ParameterError(RouteGameError, ValueError):
    """A parameter is outside its allowed range, or an option is unknown.

    Parameters
    ----------
    field : str
        Name of the parameter at fault, as the user wrote it (e.g. ``"success_prob"``).
    message : str
        What is wrong and what is allowed, e.g. ``"must be in (0, 1), got 1.5"``.

    Examples
    --------
    >>> str(ParameterError("latency", "must be > 0, got -1"))
    'latency: must be > 0, got -1'
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}")


class DataFormatError(ParameterError):
    """A file or a line of input could not be parsed (TOML, JSON, CSV, Parquet)."""


class NotSolvableError(RouteGameError):
    """The engine asked for cannot answer this question (e.g. no closed form exists)."""


class ResourceError(RouteGameError):
    """Not enough memory or disk for a request, a full disk, or an output locked by another run.

    Parameters
    ----------
    field : str
        The option or argument whose value asks for the resource (e.g. ``"--grid"``).
    message : str
        What is needed, what is available and what to do instead.

    Examples
    --------
    >>> str(ResourceError("--out", "no space left on device"))
    '--out: no space left on device'
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}")
