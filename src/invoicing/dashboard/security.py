"""What keeps the dashboard's pages safe in a browser: the session cookie, the forms' CSRF
tokens, the Content-Security-Policy and the sign-in throttle.

- The session cookie is `__Host-` prefixed (Secure, Path=/, no Domain: no subdomain can plant
  one), HttpOnly, SameSite=Lax. Browsers accept Secure cookies from http://localhost and
  http://127.0.0.1, so `make run` works as served; `DASHBOARD_SECURE_COOKIES=false` is for a
  plain-HTTP host other than those (the cookie then loses the prefix too).
- Every form carries a CSRF token: derived from the session's secret after sign-in
  (`users.service.csrf_token`), a double-submit cookie before it (the sign-in form). A POST
  without the right one is refused with 403 before anything is read or changed.
- The CSP loads scripts and styles from this origin only: no inline script, no inline style, no
  eval (htmx is configured not to need one).
"""

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from invoicing.users.service import SESSION_LIFETIME

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# A PDF shown in the invoice page's preview frame: only this origin may frame it.
FRAMED_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'self'"

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

CSRF_FIELD = "csrf_token"
LOGIN_CSRF_COOKIE = "invoicing_login_csrf"


def session_cookie_name(secure: bool) -> str:
    return "__Host-invoicing_session" if secure else "invoicing_session"


def session_token_of(request: Request, *, secure: bool) -> str | None:
    return request.cookies.get(session_cookie_name(secure))


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        session_cookie_name(secure),
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(session_cookie_name(secure), path="/", secure=secure, httponly=True, samesite="lax")


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def set_login_csrf_cookie(response: Response, value: str, *, path: str, secure: bool) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, value, path=path, secure=secure, httponly=True, samesite="strict")


def tokens_match(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected).encode(), str(given).encode())
