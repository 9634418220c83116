"""What a process prints, collected on a thread, for tests that wait for a line (with a deadline)."""

from __future__ import annotations

import subprocess
import threading
import time


class Lines:
    """Everything a process prints, read on a thread, in order; waits poll with a deadline."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._ended = False
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                with self._changed:
                    self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                    self._changed.notify_all()
        except (OSError, ValueError):  # the owner closed the pipe after stopping the process
            pass
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> int:
        """Index of the first line containing ``text``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index, line in enumerate(self.lines):
                    if text in line:
                        return index
                left = deadline - time.monotonic()
                if left <= 0 or self._ended:
                    raise AssertionError(f"no line with {text!r}:\n" + "\n".join(self.lines))
                self._changed.wait(left)

    def snapshot(self) -> list[str]:
        with self._changed:
            return list(self.lines)
