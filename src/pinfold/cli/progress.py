"""A terminal progress bar for long imports (stderr, redrawn at most 10 times a second)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


class ProgressBar:
    def __init__(self, total: int | None, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = total or None
        self.stream = stream or sys.stderr
        self.width = width
        self.start = time.monotonic()
        self._last = 0.0
        self.done = 0
        self._drawn = False

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self._last >= 0.1:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        if self.total:
            frac = min(1.0, self.done / self.total)
            fill = int(frac * self.width)
            bar = "=" * fill + (">" if fill < self.width else "") + " " * (self.width - fill - 1)
            text = (f"\r[{bar[: self.width]}] {frac * 100:5.1f}% {human(self.done)} /"
                    f" {human(self.total)}  {human(rate)}/s")
        else:
            text = f"\r{human(self.done)}  {human(rate)}/s"
        self.stream.write("\033[2K" + text)
        self.stream.flush()
        self._drawn = True

    def clear(self) -> None:
        """Erase the bar so that the next line of output starts clean."""
        if self._drawn:
            self.stream.write("\033[2K\r")
            self.stream.flush()

    def finish(self) -> None:
        self._draw(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()
