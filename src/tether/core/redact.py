"""The one place that knows what is secret.

Invariants:
- Anything shown to a human (log line, exception message, repr) that may carry a header, a
  query string or a form goes through here first.
- Redaction keeps the *shape* (the name stays, the value becomes ``***``) so a log still tells
  which credentials were sent, never their value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "***"

# Lower-case names of headers and parameters whose values are secret.
SECRET_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-ovh-signature",
        "x-ovh-consumer",
        "consumer_key",
        "consumerkey",
        "application_secret",
        "client_secret",
        "access_token",
        "refresh_token",
        "token",
        "auth_token",
        "oauth_token",
        "oauth_token_secret",
        "oauth_signature",
        "oauth_verifier",
        "api_sig",
        "secret",
        "password",
        "passwd",
        "sig",
        "signature",
        "frob",
        "code",
        "credentialtoken",
        "key",  # VK's long poll key, in the poll URL's query
        "captcha_key",  # what a person read off VK's captcha picture
        "hash",  # VK's per-session sign-in and upload hashes (in login and upload URLs)
        "api_hash",
    }
)

_QUERY_PAIR = re.compile(r"(?P<sep>[?&])(?P<name>[^=&#]+)=(?P<value>[^&#]*)")


def is_secret(name: str) -> bool:
    return name.lower() in SECRET_NAMES


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, REDACTED if is_secret(k) else v) for k, v in headers]


def redact_url(url: str) -> str:
    """Hide secret query parameters (``?token=abc`` → ``?token=***``) and the password of a
    ``user:password@`` part (a proxy or sandbox URL someone wrote with credentials)."""

    def sub(m: re.Match[str]) -> str:
        if is_secret(m.group("name")):
            return f"{m.group('sep')}{m.group('name')}={REDACTED}"
        return m.group(0)

    if "@" in url:
        url = _USERINFO.sub(rf"\g<head>\g<user>:{REDACTED}@", url, count=1)
    return _QUERY_PAIR.sub(sub, url)


# scheme://user:password@ — only in the authority (no "/", "?" or "#" before the "@").
_USERINFO = re.compile(r"(?P<head>^[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:/?#@]*):[^/?#@]*@")


def redact_text(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each known secret value (for messages built from responses)."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, REDACTED)
    return text
