"""Live progress: done / cached / failed / tokens / cost, with the backend label (the local backend
shows as a non-LLM baseline). Uses rich; silent when disabled."""

from __future__ import annotations

from types import TracebackType

from recloom.agents.runtime.outcome import Outcome


class Progress:
    def __init__(self, total: int, label: str, *, enabled: bool = True) -> None:
        self.total, self.label = total, label
        self.done = self.cached = self.failed = self.tokens = 0
        self.cost: float | None = 0.0
        self._bar = None
        self._task_id = None
        if enabled and total:
            from rich.markup import escape
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"),
                TimeElapsedColumn(),
                transient=False,
            )
            self._task_id = self._bar.add_task(escape(label), total=total, stats=self.stats())

    def stats(self) -> str:
        cost = "?" if self.cost is None else f"${self.cost:.4f}"
        return f"cached {self.cached}  failed {self.failed}  tokens {self.tokens}  cost {cost}"

    def update(self, outcome: Outcome) -> None:
        if self._bar is None:
            return
        self.done += 1
        self.cached += int(outcome.cached)
        self.failed += int(not outcome.ok)
        self.tokens += outcome.live_usage.total_tokens
        if self.cost is not None:
            self.cost = None if outcome.cost_usd is None else self.cost + outcome.cost_usd
        self._bar.update(self._task_id, advance=1, stats=self.stats())

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
