"""What every CLI command shares: the game options, :func:`resolve_game`, one-line errors.

Game options (every command that takes a game: ``solve``, ``simulate``, ``sweep``, ``plot``,
``report``)::

    --scenario NAME | --config FILE.toml           where the game comes from (default: 'default')
    --task-value V  --penalty P                    one number each
    --latency T1 T2 ...  --cost C1 C2 ...  --success-prob P1 P2 ...   one number per model

Flags override single values of the scenario (``--scenario default --latency 3 6``); without a
scenario or config and with every game flag given, the flags are the whole game. The per-model
flags take any number of values (K models); typer cannot declare such options, so
:class:`GameCommand` joins the values after each of them into one token before parsing, and a
wrong count is a one-line error naming the field.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand

from routegame.errors import ParameterError, RouteGameError
from routegame.io.atomic import atomic_write, check_output_path, is_disk_full

if TYPE_CHECKING:  # pragma: no cover
    from routegame.params import GameParams
    from routegame.scenarios import Scenario

__all__ = [
    "MULTI_FLAGS",
    "ConfigOpt",
    "CostOpt",
    "GameCommand",
    "LatencyOpt",
    "PenaltyOpt",
    "ScenarioOpt",
    "SuccessProbOpt",
    "TaskValueOpt",
    "atomic_write",
    "check_output_path",
    "fail",
    "handle_errors",
    "join_multi_args",
    "override_game",
    "resolve_game",
    "resolve_game_scenario",
]

F = TypeVar("F", bound=Callable[..., Any])

# ---------------------------------------------------------------------------------------------
# the game options (declare them in a command as ``latency: LatencyOpt = None``)

ScenarioOpt = Annotated[str | None, typer.Option(
    "--scenario", metavar="NAME",
    help="A built-in scenario (see 'routegame scenarios'); game flags override its values.")]
ConfigOpt = Annotated[str | None, typer.Option(
    "--config", metavar="FILE.toml", help="Read the game from a scenario TOML file.")]
TaskValueOpt = Annotated[str | None, typer.Option(
    "--task-value", metavar="V", help="Task value V > 0 (latency units).")]
PenaltyOpt = Annotated[str | None, typer.Option(
    "--penalty", metavar="P", help="Churn penalty P >= 0 (cost units).")]
LatencyOpt = Annotated[str | None, typer.Option(
    "--latency", metavar="T1 T2 ...", help="Latencies of the models, one per model (> 0).")]
CostOpt = Annotated[str | None, typer.Option(
    "--cost", metavar="C1 C2 ...", help="Costs of the models, one per model (>= 0).")]
SuccessProbOpt = Annotated[str | None, typer.Option(
    "--success-prob", metavar="P1 P2 ...",
    help="Success probabilities of the models, one per model, in (0, 1).")]

#: Options that take one value per model.
MULTI_FLAGS = ("--latency", "--cost", "--success-prob")
MULTI_FLAGS_FIELDS = ("latency", "cost", "success_prob")
_FIELD = {"--task-value": "task_value", "--penalty": "penalty", "--latency": "latency",
          "--cost": "cost", "--success-prob": "success_prob"}


def _is_value(token: str) -> bool:
    """Whether ``token`` can be a value (a number, possibly negative) rather than an option."""
    if not token.startswith("-") or token == "-":
        return True
    try:
        float(token)
    except ValueError:
        return False
    return True


def join_multi_args(args: Sequence[str], multi: Sequence[str] = MULTI_FLAGS) -> list[str]:
    """Rewrite ``--latency 3 6 9`` as ``--latency "3 6 9"`` (one token), up to a ``--``.

    Every option in ``multi`` takes the values (numbers) that follow it; the command checks
    their count and names the field when it is wrong.

    Examples
    --------
    >>> join_multi_args(["--query", "1", "0.5", "--json", "--query", "2", "0"], ["--query"])
    ['--query', '1 0.5', '--json', '--query', '2 0']
    >>> join_multi_args(["--latency", "3", "6", "--cost", "1", "--json"])
    ['--latency', '3 6', '--cost', '1', '--json']
    >>> join_multi_args(["--latency", "--cost", "1"])
    ['--latency', '', '--cost', '1']
    """
    out: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            out.extend(args[i:])
            break
        if a in multi:
            j = i + 1
            while j < len(args) and _is_value(args[j]) and args[j] != "--":
                j += 1
            out += [a, " ".join(args[i + 1 : j])]
            i = j
            continue
        out.append(a)
        i += 1
    return out


class GameCommand(TyperCommand):
    """A command whose per-model game flags take any number of values.

    A subclass lists further options with several values in ``multi_flags`` (``solve`` adds
    ``--query ROUTE CASCADE``).
    """

    multi_flags: tuple[str, ...] = MULTI_FLAGS

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, join_multi_args(args, self.multi_flags))


# ---------------------------------------------------------------------------------------------
# the game


def _number(text: str, field: str, label: str) -> float:
    from routegame.params import check_scalar, describe_range

    try:
        x = float(text)
    except ValueError:
        raise ParameterError(label, f"must be a number {describe_range(field)}, got {text!r}") from None
    return check_scalar(x, field, label)


def _values(text: str, field: str, k: int | None) -> list[float]:
    from routegame.params import describe_range

    parts = text.replace(",", " ").split()
    if not parts:
        want = f"{k} numbers" if k else "one number per model"
        raise ParameterError(field, f"takes {want} {describe_range(field)}, got none")
    if k is not None and len(parts) != k:
        raise ParameterError(
            field, f"takes {k} values (one per model of the game), got {len(parts)}: {text!r}"
        )
    return [_number(v, field, f"{field}[{n + 1}]") for n, v in enumerate(parts)]


def check_lengths(lists: Any, fields: Sequence[str] = ("latency", "cost", "success_prob"),
                  flag: str = "") -> None:
    """Refuse per-model lists of different lengths, naming the odd one out.

    The field named is the one whose length differs from the others' common length (the
    majority); the message gives every length, since either side may be the mistake.

    Examples
    --------
    >>> check_lengths({"latency": [3, 6, 7], "cost": [1, 4], "success_prob": [0.2, 0.5]})
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: latency: has 3 entries but cost and success_prob have 2; ...
    """
    from collections import Counter

    lens = {f: len(v) for f in fields
            if isinstance(v := lists.get(f), (list, tuple)) and not isinstance(v, str)}
    if len(set(lens.values())) <= 1:
        return
    common, _ = Counter(lens.values()).most_common(1)[0]
    odd = next(f for f, n in lens.items() if n != common)
    others = [f"{flag}{f.replace('_', '-')}" if flag else f
              for f, n in lens.items() if n == common and f != odd]
    name = f"{flag}{odd.replace('_', '-')}" if flag else odd
    raise ParameterError(
        name, f"has {lens[odd]} entries but {' and '.join(others)} "
        f"{'has' if len(others) == 1 else 'have'} {common}; the per-model lists must have the "
        "same length (one entry per model)")


def check_input_file(path: str | os.PathLike[str], flag: str) -> None:
    """Refuse a missing, directory or unreadable input file in one line naming the flag.

    Examples
    --------
    >>> check_input_file("missing.toml", "--config")
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: --config: missing.toml: no such file
    """
    from pathlib import Path

    p = Path(path)
    if p.is_dir():
        raise ParameterError(flag, f"{path}: is a directory, not a file")
    if not p.exists():
        raise ParameterError(flag, f"{path}: no such file")
    if not os.access(p, os.R_OK):
        raise ParameterError(flag, f"{path}: permission denied")


def resolve_game_scenario(
    *,
    scenario: str | None = None,
    config: str | os.PathLike[str] | None = None,
    task_value: str | float | None = None,
    penalty: str | float | None = None,
    latency: str | Sequence[float] | None = None,
    cost: str | Sequence[float] | None = None,
    success_prob: str | Sequence[float] | None = None,
    default: str | None = "default",
) -> Scenario:
    """The game of the shared options, as a scenario (keeps its name and units).

    With every game flag and neither ``--scenario`` nor ``--config``, the flags are the whole
    game (any number of models); otherwise the flags override single values of the scenario
    (``default`` when neither is given), and a per-model flag must give one value per model.

    Examples
    --------
    >>> sc = resolve_game_scenario(scenario="default", latency="3 6")
    >>> sc.name, sc.params.latency.tolist()
    ('default', [3.0, 6.0])
    >>> resolve_game_scenario(scenario="default", latency="3")
    Traceback (most recent call last):
    ...
    routegame.errors.ParameterError: latency: takes 2 values (one per model of the game), got 1: '3'
    >>> resolve_game_scenario(task_value="10", penalty="4", latency="1 2 3", cost="1 2 3",
    ...                       success_prob="0.2 0.5 0.9").params.num_models
    3
    """
    import attrs
    import numpy as np

    from routegame.io.resolve import resolve_scenario
    from routegame.params import GameParams

    if config is not None and scenario is None:  # (both given: resolve_scenario says so)
        check_input_file(config, "--config")
    from routegame.scenarios import Scenario, check_num_models

    flags: dict[str, Any] = {"task_value": task_value, "penalty": penalty, "latency": latency,
                             "cost": cost, "success_prob": success_prob}
    given = {k: v for k, v in flags.items() if v is not None}

    def text(v: Any) -> str:
        return v if isinstance(v, str) else " ".join(str(x) for x in np.atleast_1d(v))

    if scenario is None and config is None and len(given) == len(flags):
        lists = {k: _values(text(given[k]), k, None) for k in MULTI_FLAGS_FIELDS}
        check_lengths(lists, MULTI_FLAGS_FIELDS, flag="--")
        check_num_models(max(len(v) for v in lists.values()), "latency")
        params = GameParams.from_lists(
            _number(text(given["task_value"]), "task_value", "task_value"),
            _number(text(given["penalty"]), "penalty", "penalty"),
            lists["latency"], lists["cost"], lists["success_prob"],
        )
        return Scenario(name="command line", version=1, description="game from the command line",
                        params=params)
    if scenario is None and config is None and given and default is None:
        missing = [f"--{k.replace('_', '-')}" for k, v in flags.items() if v is None]
        raise ParameterError(
            missing[0][2:].replace("-", "_"),
            f"missing; give all of --task-value --penalty --latency --cost --success-prob, "
            f"or --scenario NAME / --config FILE (missing: {', '.join(missing)})",
        )
    sc = resolve_scenario(None if scenario or config else default, scenario=scenario, config=config)
    if not given:
        return sc
    return attrs.evolve(sc, params=override_game(sc.params, given))


def override_game(params: GameParams, flags: dict[str, Any]) -> GameParams:
    """``params`` with the given game flags (``None`` = not given) replacing single values."""
    import numpy as np

    def text(v: Any) -> str:
        return v if isinstance(v, str) else " ".join(str(x) for x in np.atleast_1d(v))

    changes: dict[str, Any] = {}
    for key in ("task_value", "penalty"):
        if flags.get(key) is not None:
            changes[key] = _number(text(flags[key]), key, key)
    for key in MULTI_FLAGS_FIELDS:
        if flags.get(key) is not None:
            changes[key] = _values(text(flags[key]), key, params.num_models)
    return params.replace(**changes) if changes else params


def resolve_game(**options: Any) -> GameParams:
    """The :class:`~routegame.params.GameParams` of the shared game options.

    Takes the keywords of :func:`resolve_game_scenario`.

    Examples
    --------
    >>> resolve_game(scenario="default", penalty="0").penalty
    0.0
    """
    return resolve_game_scenario(**options).params


# ---------------------------------------------------------------------------------------------
# errors


def fail(message: str) -> None:
    """Print ``error: message`` on one line to stderr and exit with status 2."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def silence_stdout() -> None:
    """Point stdout at /dev/null (after a closed pipe) so the exit flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover
        pass


def handle_errors(func: F) -> F:
    """Turn routegame and file errors raised by a command into one line and exit status 2.

    A closed pipe on stdout (``routegame solve ... | head -1``) ends the command quietly with
    status 0; a full disk is one line and status 2.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RouteGameError as exc:
            fail(str(exc))
        except BrokenPipeError:
            silence_stdout()
            raise SystemExit(0) from None
        except FileNotFoundError as exc:
            fail(f"{exc.filename}: no such file")
        except IsADirectoryError as exc:
            fail(f"{exc.filename}: is a directory")
        except PermissionError as exc:
            fail(f"{exc.filename}: permission denied")
        except MemoryError:
            fail("out of memory; use a smaller request (fewer points or episodes, or chunks)")
        except OSError as exc:
            if is_disk_full(exc):
                fail(f"{exc.filename or 'output'}: no space left on device")
            if exc.errno == errno.EPIPE:  # pragma: no cover - BrokenPipeError above
                raise SystemExit(0) from None
            raise
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise SystemExit(130) from None

    return wrapper  # type: ignore[return-value]
