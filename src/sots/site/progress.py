"""How a build shows its progress: a Rich progress bar on a terminal, one line per chapter otherwise (logs, CI)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sots.site.execution import LogReport, Report


class BarReport:
    """A progress bar of the run's chapters, with the last one done and whether it came from the cache."""

    def __init__(self, progress: Progress):
        self.progress, self.task = progress, None

    def start(self, total: int) -> None:
        self.task = self.progress.add_task("chapters", total=total, last="")

    def done(self, label: str, seconds: float | None) -> None:
        last = f"{label} " + ("(cache)" if seconds is None else f"{seconds:.1f} s")
        self.progress.update(self.task, advance=1, last=last)

    def warn(self, text: str) -> None:
        self.progress.console.print(text, markup=False, emoji=False)


@contextmanager
def progress_report(console: Console) -> Iterator[Report]:
    """A bar on a terminal (cleared when the run ends, its summary line stays), else a line per chapter."""
    if not console.is_terminal:
        yield LogReport(lambda line: console.print(line, markup=False, emoji=False))
        return
    # The last chapter's label is shown as the text it is, never read as Rich markup (see sots.cli).
    columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[last]}", markup=False))
    with Progress(*columns, console=console, transient=True) as progress:
        yield BarReport(progress)
