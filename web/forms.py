"""Small helpers shared by the form views: values as typed, page numbers, error rendering."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import flash, render_template, request
from flask_babel import gettext as _

from registry.errors import Conflict, FieldProblem, ValidationFailed
from web.i18n import field_errors, translate_message


def typed(*names: str) -> dict[str, str]:
    """The submitted values, as typed, so that a refused form shows them again."""
    return {name: request.form.get(name, "") for name in names}


def page_number() -> int:
    try:
        return max(1, int(request.values.get("page", "1")))
    except ValueError:
        return 1


def refused(template: str, error: ValidationFailed | Conflict, **context: Any) -> Any:
    """Re-render a form with its errors beside the fields (400, or 409 for a conflict)."""
    if isinstance(error, ValidationFailed):
        errors = field_errors(error.problems)
        return render_template(template, errors=errors, **context), HTTPStatus.BAD_REQUEST
    flash(_("Not saved: %(reason)s", reason=translate_message(str(error))), "error")
    return render_template(template, errors={}, **context), HTTPStatus.CONFLICT


def problems_of(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldProblem(field, message)])
