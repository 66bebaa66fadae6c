"""URLs as they may be shown or stored: without the credentials a user put inside them.

Keys come only from the environment (`api_key_env` in the pipeline). A URL such as
`http://user:secret@host/v1?api_key=sk-...` still works for the run that was given it, but the
manifest, the summaries and every error message see `http://host/v1` instead.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters whose value is a secret: key, api_key, api-key, apikey, access_token, token,
# auth_token, secret, password, sig(nature)... matched on the whole name, case-insensitively.
_SECRET_PARAM = re.compile(r"^(?:.*[_-])?(?:api[_-]?key|key|token|secret|password|passwd|pwd|sig|signature|auth)$", re.IGNORECASE)


def redact_url(url: str | None) -> str | None:
    """`url` without user info (`user:pass@`) and without query parameters that look like keys.

    The fragment is dropped too (API endpoints have none; an OAuth-style one carries a token).
    Pure; anything without a network location (`local:PATH`, a bare word, None) comes back as it was.

    Examples:
        >>> redact_url("http://user:pass@host:8000/v1?api_key=sk-1&x=2")
        'http://host:8000/v1?x=2'
        >>> redact_url("https://example.org/v1")
        'https://example.org/v1'
    """
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket: show no part that could hold a secret
        return re.sub(r"//[^/?#]*@", "//", url)
    if not parts.netloc:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parts.query
    if query:
        kept = [(name, value) for name, value in parse_qsl(query, keep_blank_values=True) if not _SECRET_PARAM.match(name)]
        query = urlencode(kept)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))  # a fragment may carry a token too


__all__ = ["redact_url"]
