"""Flask adapter: the app factory; views stay thin and call one service each."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, jsonify

from registry.config import Settings
from registry.context import RegistryContext


def create_app(settings: Settings | None = None, registry: RegistryContext | None = None) -> Flask:
    """Build the web application around an opened registry."""
    app = Flask(__name__)
    settings = settings or Settings.from_env()
    app.extensions["vetreg"] = registry or RegistryContext.open(settings)
    from web.api import api

    app.register_blueprint(api)

    @app.get("/")
    def index() -> Any:
        return (
            "<!doctype html><html lang=en><meta charset=utf-8><title>Vetting Registry</title>"
            "<h1>Joint Task-Force Vetting Registry</h1><p>The registry is running.</p></html>"
        )

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.errorhandler(HTTPStatus.NOT_FOUND)
    def not_found(_error: Exception) -> Any:
        return jsonify(error={"code": "not_found", "message": "no such page"}), HTTPStatus.NOT_FOUND

    return app
