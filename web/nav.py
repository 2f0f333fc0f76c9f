"""Navigation registry: each blueprint adds its own entries; the layout shows only allowed ones.

Another area plugs a page into the layout like this (in its blueprint module)::

    from web.nav import nav_entry
    from flask_babel import lazy_gettext as _l

    bp = Blueprint("audit_pages", __name__, url_prefix="/audit")
    nav_entry(bp, "audit_pages.index", _l("Audit log"), Permission.AUDIT_READ, order=60)

and renders its templates with ``{% extends "base.html" %}`` (blocks: ``title``, ``content``).
The entry appears only once the blueprint is registered in `create_app`, and only for users
whose roles grant one of the listed permissions (`registry.policy.can`), so a link never
points at a page that does not exist or that the user may not open.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app

from registry.policy import Actor, Permission, can

_EXTENSION = "vetreg.nav"


@dataclass(frozen=True)
class NavEntry:
    """One link of the main navigation."""

    endpoint: str
    label: object  # a lazy string, rendered in the request's language
    permissions: tuple[Permission, ...]
    order: int = 100

    def visible_to(self, actor: Actor | None) -> bool:
        if actor is None:
            return False
        if not self.permissions:
            return True
        return any(can(actor, permission) for permission in self.permissions)


class NavRegistry:
    """The entries of one application, in display order."""

    def __init__(self) -> None:
        self._entries: dict[str, NavEntry] = {}

    def add(self, entry: NavEntry) -> None:
        self._entries[entry.endpoint] = entry

    def entries(self) -> list[NavEntry]:
        return sorted(self._entries.values(), key=lambda e: (e.order, e.endpoint))

    def visible(self, actor: Actor | None) -> list[NavEntry]:
        return [e for e in self.entries() if e.visible_to(actor)]


def registry(app: Flask | None = None) -> NavRegistry:
    app = app or current_app
    nav = app.extensions.get(_EXTENSION)
    if nav is None:
        nav = app.extensions[_EXTENSION] = NavRegistry()
    assert isinstance(nav, NavRegistry)
    return nav


def nav_entry(
    blueprint: Blueprint,
    endpoint: str,
    label: object,
    permissions: Permission | Iterable[Permission] = (),
    *,
    order: int = 100,
) -> None:
    """Show a link to `endpoint` to users holding any of `permissions` (none: every user)."""
    wanted = (permissions,) if isinstance(permissions, Permission) else tuple(permissions)
    entry = NavEntry(endpoint, label, wanted, order)
    blueprint.record_once(lambda state: registry(state.app).add(entry))
