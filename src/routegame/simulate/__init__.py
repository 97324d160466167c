"""Monte Carlo simulation of episodes of a K-model routing game.

An **episode** is one task, followed from its first pass until it is solved, abandoned, or cut
short by the ``max_passes`` cap (``truncated``; kept apart from abandoned, as Gymnasium keeps
*truncated* apart from *terminated*).

Notation (``spec/model.md``): the game has K models; a pass on model k takes latency t_k, costs
c_k and succeeds with probability p_k. The provider's policy is a start distribution over the
models (``start``, shape (K,)) and a cascade matrix R (``cascade``, shape (K, K)), where
R[j, k] is the probability that the re-prompt after a failure on model j goes to model k. After
a failure on model j the user abandons with probability q_j (``abandon``: one q for the paper's
stationary user, one per model for a user who knows which model failed). The paper's two-model
policy (route i, cascade s) is start = e_i and R = [[1 - s, s], [0, 1]]
(:func:`simulate_two_model`, built with ``routegame.markov.chain.two_model_policy``).

Beyond what the exact Markov engine solves, the simulator accepts

* ``success_schedule`` (K, A): the success probability of the a-th pass of the episode
  (a = 1..A, the overall attempt number, the last column repeating beyond A), for re-prompts
  that carry feedback;
* ``tasks`` (:class:`TaskDistribution`): a per-episode success probability for each model, drawn
  once per episode (Beta per model, or rows of an empirical table), so a failure is evidence that
  the task is hard; an empirical table (m, K, A) gives each task its own feedback schedule, and
  ``tasks`` (m, K) with ``success_schedule`` moves every task's probability on the logit scale
  as the schedule moves (the two forms the exact heterogeneous engine takes);
* a population of users: a per-episode task value V (array or sampler) and per-episode abandon
  probabilities, possibly a function of V.

With ``method="pass"`` all episodes (in chunks of 65,536, to stay in cache) are stepped
together, pass by pass: the arrays of live episodes shrink as episodes end, there is no Python
loop over episodes, and each pass draws one uniform per live episode, in one block, from the
``rng`` (``None | int | Generator``, normalised by ``np.random.default_rng``), so the same seed
gives the same episodes.
That single uniform is a draw from the chain's transition row (solved / abandoned / next model).
With i.i.d. passes (no ``success_schedule``, no ``tasks``) ``method="run"`` steps one *visit* at
a time instead: a geometric run of passes on one model (one uniform, by inversion), then one
uniform for how the visit ends; the same distribution with fewer draws (see :func:`simulate`).
A visit costs two uniforms and a logarithm, so ``method="auto"`` uses runs only when some
model's expected visit is at least two passes (stay probability (1 - p_j)(1 - q_j) R[j, j] >=
1/2), and passes otherwise.

From :func:`routegame._jit.min_size` episodes on (and numba installed) both loops run compiled
(:mod:`routegame.simulate._compiled`): the same uniforms from the same ``rng``, consumed in the
same order by the same formulas, so the compiled and numpy paths give the same episodes for a
seed.

Any number of episodes: :func:`simulate_summary` streams them in blocks of :data:`BLOCK` (bounded
memory, a progress bar, optionally on a dask cluster; the same seed gives the same result on any
scheduler) and :func:`simulate_blocks` yields the episodes block by block.

Layout: :mod:`~routegame.simulate.inputs` (checks), :mod:`~routegame.simulate.tasks`,
:mod:`~routegame.simulate.kernels` (pass and visit kernels), :mod:`~routegame.simulate.results`,
:mod:`~routegame.simulate.api` (:func:`simulate`), :mod:`~routegame.simulate.stream`.

Per episode, ``latency`` = Σ_k passes_k t_k, ``cost`` = Σ_k passes_k c_k,
``user_utility`` = V·solved − latency and ``provider_cost`` = cost + P·(1 − solved); their means
estimate S, L, C, U and J of the spec. A truncated episode counts as not solved.
"""

from __future__ import annotations

from routegame.simulate.api import simulate, simulate_two_model
from routegame.simulate.inputs import DEFAULT_MAX_PASSES, AbandonLike, TaskValueLike
from routegame.simulate.kernels import CHUNK_SIZE
from routegame.simulate.results import (
    Comparison,
    ComparisonRow,
    Episodes,
    Estimate,
    SimulationSummary,
)
from routegame.simulate.stream import BLOCK, simulate_blocks, simulate_summary
from routegame.simulate.tasks import TaskDistribution

__all__ = [
    "BLOCK",
    "CHUNK_SIZE",
    "DEFAULT_MAX_PASSES",
    "AbandonLike",
    "Comparison",
    "ComparisonRow",
    "Episodes",
    "Estimate",
    "SimulationSummary",
    "TaskDistribution",
    "TaskValueLike",
    "simulate",
    "simulate_blocks",
    "simulate_summary",
    "simulate_two_model",
]
