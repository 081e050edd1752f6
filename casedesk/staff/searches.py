"""The words of a queue search stay out of URLs (they are often a name): the search form
is sent by POST, the words wait in the session under a random token, and the queue's
URL, its tabs, pages and downloads carry only the token (``?s=``), so neither access
logs, browser history nor a shared link hold them."""

from __future__ import annotations

import secrets

SESSION_SEARCHES = "staff_searches"
KEPT = 20  # the last searches of a session that its links may still name


def search_remember(request, words: str) -> str:
    """Keep ``words`` in the session; the token that names them in a URL."""
    searches = dict(request.session.get(SESSION_SEARCHES) or {})
    token = secrets.token_urlsafe(9)
    searches[token] = words
    request.session[SESSION_SEARCHES] = dict(list(searches.items())[-KEPT:])
    return token


def search_words(request) -> str:
    """The words the request's ``?s=`` token names in this session ("" if none)."""
    token = request.GET.get("s", "")
    if not token:
        return ""
    return (request.session.get(SESSION_SEARCHES) or {}).get(token, "")
