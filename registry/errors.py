"""Domain exceptions, grouped by area; the web and CLI edges map them to statuses and exit codes."""

from __future__ import annotations

from dataclasses import dataclass


class RegistryError(Exception):
    """Base of every error the registry raises on purpose."""

    code = "error"


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one input field (and, for batch input, one row)."""

    field: str
    message: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}{self.field}: {self.message}"


class ValidationFailed(RegistryError):
    """Input was rejected; carries every problem found, not only the first."""

    code = "validation_failed"

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid input")

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldProblem(field, message)])


class NotFound(RegistryError):
    """The object does not exist (or the actor may not learn that it does)."""

    code = "not_found"


class PermissionDenied(RegistryError):
    """Policy refused the action; the refusal has been audited."""

    code = "permission_denied"


class Conflict(RegistryError):
    """The change clashes with the stored state (stale version, duplicate key)."""

    code = "conflict"


class DecryptionFailed(RegistryError):
    """A ciphertext could not be opened: wrong key, wrong place, altered, or shredded."""

    code = "decryption_failed"


class KeyUnavailable(RegistryError):
    """Key material is missing or cannot be used."""

    code = "key_unavailable"


class AuthenticationFailed(RegistryError):
    """Credentials were wrong, expired or revoked."""

    code = "authentication_failed"
