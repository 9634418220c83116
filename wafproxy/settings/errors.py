"""The one error a bad setting raises, naming where the value came from.

The CLI prints it and exits 2 ("fix your configuration"); its ``source`` is the flag, env var or
config key to change, so the message points at the fix rather than at our code.
"""

from __future__ import annotations


class SettingsError(ValueError):
    """A setting that cannot be used; ``source`` is the flag, env var or config key it came from."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message
