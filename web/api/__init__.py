"""JSON API under /api/v1 (bearer-token auth, OpenAPI document at /api/v1/openapi.json).

Adding endpoints for another area: create `web/api/<area>.py`, import `api`, `spec`,
`current_actor` and `registry` from `web.api.core`, decorate each view with
`@api.get/post(...)` and `@spec.validate(json=..., query=..., resp=Response(...))` using
pydantic models, and add one import line below. Domain errors raised by services become
JSON errors with the right status automatically (see `web.api.core.STATUS`).
"""

from __future__ import annotations

from web.api import audit as _audit  # noqa: F401
from web.api import confirmations as _confirmations  # noqa: F401
from web.api import lifecycle as _lifecycle  # noqa: F401

# Endpoint modules attach their routes to `api` when imported (one line per area).
from web.api import screening as _screening  # noqa: F401
from web.api.core import api, spec

__all__ = ["api", "spec"]
