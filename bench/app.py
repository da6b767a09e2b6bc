"""The portal as benchmarked: :func:`portal.create_app` plus the floor route ``/_bench/floor``.

The floor is the cheapest page the app can serve to a logged-in user: one primary-key query and a
tiny template. It exists only in this bench app, never in the portal itself.
"""
from __future__ import annotations

from flask import Flask, abort
from flask_login import login_required

from portal import create_app
from portal.extensions import db
from portal.models.dispute import Dispute

FLOOR_URL = "/_bench/floor"


def create_bench_app(config: dict | None = None) -> Flask:
    """Build the portal app (instance from ``PORTAL_INSTANCE``) and register the floor route.

    Takes optional config overrides; returns the Flask app.
    """
    app = create_app(config)
    template = app.jinja_env.from_string("<!doctype html><title>floor</title><p>{{ d.id }} {{ d.title }}</p>")

    @login_required
    def floor():
        dispute = db.session.get(Dispute, 1)
        if dispute is None:
            abort(404)
        return template.render(d=dispute)

    app.add_url_rule(FLOOR_URL, "bench_floor", floor)
    return app
