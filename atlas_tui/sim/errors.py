"""CloudStack error responses: codes, exception-class codes and the exact shapes.

A synchronous error is ``{"<cmd>response": {"uuidList": [], "errorcode": N, "cserrorcode": M,
"errortext": "..."}}`` with HTTP status N. Authentication failures have no ``cserrorcode``.
A failure inside an async job is only ``{"errorcode": N, "errortext": "..."}`` in ``jobresult``.
"""

from __future__ import annotations

# ApiErrorCode (HTTP status = errorcode)
UNAUTHORIZED = 401
API_LIMIT_EXCEED = 429
PARAM_ERROR = 431
UNSUPPORTED_ACTION_ERROR = 432
INTERNAL_ERROR = 530
ACCOUNT_ERROR = 531
RESOURCE_ALLOCATION_ERROR = 535

# CSExceptionErrorCode: the Java exception class behind the error
CS_CLOUD_RUNTIME = 4250
CS_INVALID_PARAMETER = 4350
CS_PERMISSION_DENIED = 4365
CS_RESOURCE_ALLOCATION = 4370
CS_UNAVAILABLE_COMMAND = 4555
CS_SERVER_API = 9999

AUTH_TEXT = "unable to verify user credentials and/or request signature"
INTERNAL_TEXT = "Internal error executing command, please contact your system administrator"


class ApiError(Exception):
    """An error the server reports with its code, exception class code and text."""

    def __init__(self, errorcode: int, errortext: str, cserrorcode: int | None = CS_SERVER_API,
                 *, admin_only_text: bool = False):
        super().__init__(errortext)
        self.errorcode = errorcode
        self.errortext = errortext
        self.cserrorcode = cserrorcode
        # An unexpected exception: ApiServer.java ~700-726 shows its text to root admins only;
        # everyone else reads INTERNAL_TEXT.
        self.admin_only_text = admin_only_text

    def for_caller(self, admin: bool) -> ApiError:
        if admin or not self.admin_only_text:
            return self
        return ApiError(self.errorcode, INTERNAL_TEXT, self.cserrorcode)

    def body(self) -> dict[str, object]:
        out: dict[str, object] = {"uuidList": [], "errorcode": self.errorcode}
        if self.cserrorcode is not None:
            out["cserrorcode"] = self.cserrorcode
        out["errortext"] = self.errortext
        return out


class JobError(Exception):
    """A failure inside an async job: becomes jobstatus 2 with this code and text."""

    def __init__(self, errortext: str, errorcode: int = INTERNAL_ERROR):
        super().__init__(errortext)
        self.errorcode = errorcode
        self.errortext = errortext


class RuleError(JobError):
    """A rule broken inside a job: ``InvalidParameterValueException``, which the job dispatcher
    reports as 431 (``ApiAsyncJobDispatcher.java`` ~114-115); only ``CloudRuntimeException``s
    are 530."""

    def __init__(self, errortext: str) -> None:
        super().__init__(errortext, PARAM_ERROR)


def auth_error() -> ApiError:
    return ApiError(UNAUTHORIZED, AUTH_TEXT, None)


def invalid_value(api: str, name: str, value: str) -> ApiError:
    """ParamProcessWorker's text for an unknown UUID or a value that is not a number."""
    return ApiError(
        PARAM_ERROR,
        f"Unable to execute API command {api.lower()} due to invalid value. Invalid parameter "
        f"{name} value={value} due to incorrect long value format, or entity does not exist or "
        "due to incorrect parameter annotation for the field in api cmd class.",
    )


def missing_param(api: str, name: str) -> ApiError:
    return ApiError(
        PARAM_ERROR, f"Unable to execute API command {api.lower()} due to missing parameter {name}"
    )


def too_long(api: str, name: str, limit: int) -> ApiError:
    """ParamProcessWorker's text for a STRING parameter longer than its @Parameter length."""
    return ApiError(
        PARAM_ERROR,
        f"Unable to execute API command {api.lower()} due to invalid value. Value greater than "
        f"max allowed length {limit} for param: {name}",
    )


def param_error(text: str) -> ApiError:
    """InvalidParameterValueException: 431 / 4350."""
    return ApiError(PARAM_ERROR, text, CS_INVALID_PARAMETER)


def runtime_error(text: str) -> ApiError:
    """CloudRuntimeException: 530 / 4250; a non-admin gets only the generic text."""
    return ApiError(INTERNAL_ERROR, text, CS_CLOUD_RUNTIME, admin_only_text=True)


def throttled(retry_ms: int) -> ApiError:
    return ApiError(
        API_LIMIT_EXCEED,
        "The given user has reached his/her account api limit, please retry after "
        f"[{retry_ms}] ms.",
        CS_SERVER_API,
    )
