"""Smoke run of ``bench.run`` at toy size: the table gets its rows (never asserts timings)."""

from __future__ import annotations

from rich.console import Console

from bench.figures import TOY
from bench.figures.rate_limited import theoretical_bound
from bench.run import collect, table


def test_the_fetch_figures_make_rows_of_one_table() -> None:
    figures = collect(TOY, only={1, 2}, log=lambda line: None)
    assert [f.number for f in figures] == [1, 2]
    assert all(f.value != "error" for f in figures), [f.note for f in figures]
    console = Console(width=200, record=True)
    console.print(table(figures, TOY, "python -m bench.run --profile toy --only 1,2"))
    text = console.export_text()
    for expected in ("raw fetch", "client only", "≥ 0.8", "cores", "command: python -m bench.run"):
        assert expected in text


def test_the_rate_limit_bound_counts_whole_windows_per_endpoint() -> None:
    assert theoretical_bound({"/a": 10}, 10) == 0.0  # ten requests fit the first window
    assert theoretical_bound({"/a": 11, "/b": 3}, 10) == 60.0
    assert theoretical_bound({"/a": 35, "/b": 21}, 10) == 180.0  # the busiest endpoint decides


def test_the_incremental_figure_checks_every_table_against_the_truth() -> None:
    # two real `zd-pipeline sync` processes on the small account; the figure fails if a table differs
    (figure,) = collect(TOY, only={7}, log=lambda line: None)
    assert figure.value != "error", figure.note
    assert "every table equals the truth" in figure.note
    assert "both syncs include publishing" in figure.note
    assert "every analytics table rebuilt" in figure.note and figure.data["analytics_peak_mb"] > 0
