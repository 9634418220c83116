"""AWS error shapes: one exception type that carries the AWS error code, message and HTTP status.

Every AWS wire protocol we serve reports errors the same way to botocore: a JSON body with
``__type`` (the error code) and ``message``, plus the ``x-amzn-ErrorType`` header. Services raise
``AwsError`` (or a helper below) anywhere below the dispatcher; the dispatcher turns it into the
response, so handlers never build error responses themselves.
"""

from __future__ import annotations


class AwsError(Exception):
    """An error the client sees as ``code``; ``path`` names the request field at fault, if any."""

    def __init__(self, code: str, message: str, *, status: int = 400, path: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.path = path

    def to_body(self) -> dict[str, str]:
        return {"__type": self.code, "message": self.message}


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
