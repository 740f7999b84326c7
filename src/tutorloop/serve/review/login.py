"""Signing in to the review pages: a form that takes a token once and sets a session cookie.

``GET /review/login`` shows the form; ``POST /review/login`` (form-encoded ``token``) checks it
and sets the signed session cookie (:mod:`tutorloop.serve.review.access`), then redirects to
the page asked for. ``POST /review/logout`` clears it. The token never travels in a URL.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tutorloop.present.review import render_page
from tutorloop.serve.review.access import COOKIE_NAME, SESSION_SECONDS, Credentials

__all__ = ["router"]

router = APIRouter()


def _next_page(value: str | None) -> str:
    """Where to go after signing in: a path of the review app only (no open redirect)."""
    if value and value.startswith("/review") and not value.startswith("//"):
        return value
    return "/review"


def _form(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
    html = render_page(
        "login",
        error=error,
        next=_next_page(request.query_params.get("next")),
        hours=SESSION_SECONDS // 3600,
    )
    return HTMLResponse(html, status_code=status)


@router.get("/review/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return _form(request)


@router.post("/review/login", response_model=None)
async def login(request: Request) -> Response:
    """Check the token typed into the form; set the session cookie and go on."""
    fields = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=4)
    token = (fields.get("token") or [""])[0].strip()
    credentials: Credentials = request.app.state.credentials
    principal = credentials.from_token(token.encode("utf-8")) if token else None
    if principal is None:
        return _form(request, "That token is not valid here: check it and try again.", 401)
    response = RedirectResponse(_next_page((fields.get("next") or [""])[0]), status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        credentials.session_cookie(principal),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/review/logout", response_model=None)
async def logout() -> Response:
    """End the session."""
    response = RedirectResponse("/review/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response
