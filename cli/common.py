"""Shared CLI plumbing: loading the registry, mapping domain errors to exit codes."""

from __future__ import annotations

import functools
import getpass
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from registry.config import Settings
from registry.context import RegistryContext
from registry.errors import (
    AuthenticationFailed,
    Conflict,
    KeyUnavailable,
    NotFound,
    PermissionDenied,
    RegistryError,
    ValidationFailed,
)
from registry.policy import Actor

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_DENIED = 4
EXIT_NOT_FOUND = 5
EXIT_CONFLICT = 6

_EXIT_CODES: dict[type[RegistryError], int] = {
    ValidationFailed: EXIT_BAD_INPUT,
    PermissionDenied: EXIT_DENIED,
    AuthenticationFailed: EXIT_DENIED,
    NotFound: EXIT_NOT_FOUND,
    Conflict: EXIT_CONFLICT,
    KeyUnavailable: EXIT_ERROR,
}


def fail(message: str, code: int = EXIT_ERROR) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn domain errors into a clear message and a documented exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ValidationFailed as exc:
            for problem in exc.problems:
                click.secho(f"error: {problem}", fg="red", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except RegistryError as exc:
            fail(str(exc), _EXIT_CODES.get(type(exc), EXIT_ERROR))

    return wrapper  # type: ignore[return-value]


def settings() -> Settings:
    return Settings.from_env()


def open_registry() -> RegistryContext:
    """The registry for this command; its connections close when the command ends."""
    registry = RegistryContext.open(settings())
    click.get_current_context().call_on_close(registry.close)
    return registry


def operator() -> Actor:
    """Administrative commands act as the local operator, named after the OS account."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "operator"
    return Actor.system_operator(name)
