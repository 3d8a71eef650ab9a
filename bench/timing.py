"""Helpers for the benchmark scripts (`manage.py bench <name>`): timing and a table that
puts each figure next to its target and its anchor measured in the same run."""

import statistics
import tempfile
import time
from contextlib import contextmanager

from psycopg import pq


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary_ms(samples: list[float]) -> dict:
    """p50 / p95 / mean in milliseconds of samples in seconds."""
    return {
        "n": len(samples),
        "p50": percentile(samples, 50) * 1000,
        "p95": percentile(samples, 95) * 1000,
        "mean": statistics.fmean(samples) * 1000 if samples else float("nan"),
    }


@contextmanager
def stopwatch(samples: list[float]):
    started = time.perf_counter()
    yield
    samples.append(time.perf_counter() - started)


def table(stdout, title: str, headers: list[str], rows: list[list]) -> None:
    def cell(value):
        if isinstance(value, float):
            return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
        return str(value)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(headers)]
    stdout.write(f"\n{title}\n")
    stdout.write("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + "\n")
    stdout.write("  ".join("-" * w for w in widths) + "\n")
    for row in text:
        stdout.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + "\n")


class _WireCount:
    round_trips = statements = 0


@contextmanager
def wire_count(connection):
    """Count what the connection's libpq sends and waits for, from its protocol trace:
    round trips (each ReadyForQuery the server answers) and statements (each simple Query
    or extended-protocol Execute), whatever layer sent them (Django, a raw psycopg cursor,
    psycopg's own BEGIN)."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    counted = _WireCount()
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield counted
        finally:
            pgconn.untrace()
        trace.seek(0)
        for line in trace:  # a query's own newlines start lines of no interest here
            direction, _length, message = (line.split(b"\t", 3) + [b"", b""])[:3]
            if direction == b"B" and message.startswith(b"ReadyForQuery"):
                counted.round_trips += 1
            elif direction == b"F" and (message.startswith(b"Query")
                                        or message.startswith(b"Execute")):
                counted.statements += 1
