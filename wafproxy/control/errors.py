"""The WAFv2 error shapes, as botocore's wafv2 model defines them.

``WAFInvalidParameterException`` carries ``Field`` (a ``ParameterExceptionField`` value such as
``IP_ADDRESS``), ``Parameter`` (the offending value or JSON path) and ``Reason``, so a client sees
which field to fix. The others carry only ``Message``. All are ``AwsError``s, so the dispatcher
turns them into responses and the audit log records the code.
"""

from __future__ import annotations

from wafproxy.awsapi.errors import AwsError


class WafError(AwsError):
    """An ``AwsError`` with the extra members the wafv2 error shapes define."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        parameter: str | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(code, message, status=status, path=parameter)
        self.field = field
        self.parameter = parameter

    def to_body(self) -> dict[str, object]:
        body: dict[str, object] = {"__type": self.code, "message": self.message, "Message": self.message}
        if self.field is not None:
            body["Field"] = self.field
        if self.parameter is not None:
            body["Parameter"] = self.parameter[:1024]
            body["Reason"] = self.message[:1024]
        return body


def invalid(field: str, parameter: str, reason: str) -> WafError:
    """Bad input: ``field`` is a ParameterExceptionField, ``parameter`` names the request member."""
    return WafError(
        "WAFInvalidParameterException",
        f"Error reason: {reason}, field: {field}, parameter: {parameter}",
        field=field,
        parameter=parameter,
    )


def nonexistent(what: str) -> WafError:
    return WafError(
        "WAFNonexistentItemException",
        f"AWS WAF couldn't perform the operation because your resource doesn't exist: {what}",
    )


def optimistic_lock() -> WafError:
    return WafError(
        "WAFOptimisticLockException",
        "AWS WAF couldn't save your changes because someone changed the resource after you "
        "started to edit it. Reapply your changes.",
    )


def duplicate(what: str) -> WafError:
    return WafError(
        "WAFDuplicateItemException",
        f"AWS WAF couldn't perform the operation because some resource in your request is a "
        f"duplicate of an existing one: {what}",
    )


def associated(what: str) -> WafError:
    return WafError(
        "WAFAssociatedItemException",
        f"AWS WAF couldn't perform the operation because your resource is being used by "
        f"another resource or it's associated with another resource: {what}",
    )


def limits(message: str) -> WafError:
    return WafError("WAFLimitsExceededException", message)


def unavailable(message: str) -> WafError:
    return WafError("WAFUnavailableEntityException", message)
