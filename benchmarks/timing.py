"""What the benchmarks share: methods timed in turns, in one process."""

from __future__ import annotations

import time


def interleaved(runs: dict, repeats: int) -> tuple[dict[str, list[float]], dict]:
    """Time each run ``repeats`` times, taking turns, so that a change in the machine's load
    during the benchmark affects every method alike. Returns the times and the last results."""
    times = {name: [] for name in runs}
    results = {}
    for _ in range(repeats):
        for name, fn in runs.items():
            start = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - start)
    return times, results
