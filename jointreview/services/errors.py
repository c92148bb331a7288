class ServiceError(Exception):
    """A refused action, with a message fit to show the user (HTTP 400/409, form error, CLI exit 2)."""

    status_code = 400

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


class ConflictError(ServiceError):
    """The object is not in a state that allows the action (e.g. accepting twice)."""

    status_code = 409


class PermissionDeniedError(ServiceError):
    status_code = 403
