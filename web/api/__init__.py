"""JSON API under /api/v1 (token auth)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

api = Blueprint("api", __name__, url_prefix="/api/v1")


@api.get("/health")
def health() -> Any:
    return jsonify(status="ok")
