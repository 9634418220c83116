"""Typed compile errors: every one names the file, the JSON path and the reason.

A user fixing a web ACL needs to know exactly where: ``rules/acl.json: $.Rules[3].Statement
.ByteMatchStatement.PositionalConstraint: 'BEGINS' is not one of EXACTLY, STARTS_WITH, ...``.
"""

from __future__ import annotations


class WebAclError(ValueError):
    """A document that does not compile. ``path`` is a JSON path (``$.Rules[0].Name``)."""

    def __init__(self, path: str, reason: str, source: str = "") -> None:
        self.path = path
        self.reason = reason
        self.source = source
        super().__init__(str(self))

    def with_source(self, source: str) -> WebAclError:
        """The same error attributed to ``source`` (a file), unless it already names one."""
        if self.source:
            return self
        return type(self)(self.path, self.reason, source)

    def __str__(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return f"{prefix}{self.path}: {self.reason}"

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.path, self.reason, self.source))


class ReferenceError_(WebAclError):
    """A reference (ARN or name) to an IP set, regex pattern set or rule group that did not resolve."""


UnresolvedReference = ReferenceError_
