"""AWS error shapes: one exception type that carries the AWS error code, message and HTTP status.

Every AWS wire protocol we serve reports errors the same way to botocore: a JSON body with
``__type`` (the error code) and ``message``, plus the ``x-amzn-ErrorType`` header. Services raise
``AwsError`` (or a helper below) anywhere below the dispatcher; the dispatcher turns it into the
response, so handlers never build error responses themselves.
"""

from __future__ import annotations

from collections.abc import Mapping

# Authentication and authorization failures. JSON 1.1 services (KMS, WAFv2) answer them with 400;
# the rest-json services (GuardDuty, Inspector2, Security Hub: API Gateway fronted) with 403,
# which is also what their models declare for AccessDeniedException.
AUTH_ERROR_CODES = frozenset(
    {
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
        "AccessDeniedException",
    }
)


class AwsError(Exception):
    """An error the client sees as ``code``; ``path`` names the request field at fault, if any.
    ``extra``: members the service's error shape adds (Inspector2's ``reason``, ``fields``…)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        path: str | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.path = path
        self.extra = dict(extra) if extra else {}

    def to_body(self) -> dict[str, object]:
        return {"__type": self.code, "message": self.message, **self.extra}

    def renamed(self, code: str, *, status: int | None = None) -> AwsError:
        """The same error under a service's own code (GuardDuty: BadRequestException…)."""
        return AwsError(
            code, self.message, status=self.status if status is None else status, path=self.path,
            extra=self.extra,
        )


def validation(message: str, path: str | None = None) -> AwsError:
    """``ValidationException`` naming the offending field, as AWS does for bad input."""
    return AwsError("ValidationException", message, path=path)


def access_denied(message: str) -> AwsError:
    return AwsError("AccessDeniedException", message)


# Authentication errors, as AWS reports them (all 400 for JSON 1.1 services such as KMS).
def missing_token() -> AwsError:
    return AwsError(
        "MissingAuthenticationTokenException", "Request is missing Authentication Token", status=400
    )


def incomplete_signature(message: str) -> AwsError:
    return AwsError("IncompleteSignatureException", message, status=400)


def unrecognized_client() -> AwsError:
    return AwsError("UnrecognizedClientException", "The security token included in the request is invalid.")


def invalid_signature(message: str) -> AwsError:
    return AwsError("InvalidSignatureException", message)
