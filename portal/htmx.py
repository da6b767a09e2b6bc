"""Small helpers for htmx 4 requests and responses (docs/htmx-conventions.md)."""
from __future__ import annotations

from flask import Response, request
from urllib.parse import urlsplit


def is_htmx() -> bool:
    """True for any request made by htmx (including history restores and boosted requests)."""
    return request.headers.get("HX-Request") == "true" or "HX-History-Restore-Request" in request.headers


def is_partial() -> bool:
    """True when the request wants a fragment rather than a full page (style.md 3.1).

    A history restore, a boosted navigation or ``HX-Request-Type: full`` gets the full page.
    """
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Request-Type") != "full"
        and "HX-History-Restore-Request" not in headers
        and "HX-Boosted" not in headers
    )


def current_page_url() -> str:
    """The path (with query) of the page the user is on: ``HX-Current-URL`` for htmx, else this URL."""
    url = request.headers.get("HX-Current-URL") if is_htmx() else None
    if url:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.full_path.rstrip("?")


def hx_redirect(url: str, status: int = 200) -> Response:
    """A response that makes htmx navigate the whole page to ``url``."""
    response = Response("", status=status)
    response.headers["HX-Redirect"] = url
    return response


def add_vary(response: Response) -> Response:
    """Mark a response whose body depends on htmx request headers (caches must key on them)."""
    response.vary.update(("HX-Request", "HX-Request-Type"))
    return response
