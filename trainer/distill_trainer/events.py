"""JSON-lines progress on the protocol stream (the process's real stdout)."""

from __future__ import annotations

import json
import math
import time
from typing import IO, Any, Callable


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: plain floats, no NaN (JSON has none)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy / torch scalars
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Emitter:
    """Writes one JSON object per line and flushes it at once.

    Step events are throttled to one per ``step_seconds`` so that a fast
    model does not flood the Go side; every other event goes out as is.
    """

    def __init__(
        self, stream: IO[bytes], step_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream
        self.step_seconds = step_seconds
        self._clock = clock
        self._last_step = clock()

    def emit(self, event: str, **fields: Any) -> None:
        line = json.dumps({"event": event, **_clean(fields)}, separators=(",", ":"))
        self._stream.write(line.encode("utf-8") + b"\n")
        self._stream.flush()

    __call__ = emit

    def step_due(self, final: bool = False) -> bool:
        """Whether a step event may go out now (always for the run's last step)."""
        now = self._clock()
        if final or now - self._last_step >= self.step_seconds:
            self._last_step = now
            return True
        return False
