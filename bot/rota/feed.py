"""Fetching a person's calendar feed: https only, a timeout, a size limit, and never an
address inside the hospital's own network.

A feed URL is pasted by a person and fetched by the server, so it must not become a
way to reach internal systems: the host must resolve to public addresses only (http
to this machine is allowed only with `ROTA_FEED_ALLOW_LOCAL_HTTP`, for tests), and
every redirect is checked the same way. The URL itself is a secret — it lets anyone
read the calendar — so no message or log line here contains it.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from bot.rota.rules import is_local_host, normalize_feed_url
from bot.rota.types import FEED_TIMEOUT_SECONDS, MAX_FEED_BYTES, FeedProblem, FeedRefused


def _public_only(host: str) -> None:
    """FeedRefused unless every address of `host` is a public one."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        raise FeedProblem("the calendar's server name could not be found") from None
    for info in infos:
        address = ip_address(info[4][0])
        if not address.is_global:
            raise FeedRefused("That link points inside a private network, which the app doesn't fetch from.")


def check_destination(url: str, *, allow_local_http: bool) -> str:
    """The URL to fetch after the same checks as when it was saved, plus where it resolves."""
    url = normalize_feed_url(url, allow_local_http=allow_local_http)
    host = urlsplit(url).hostname or ""
    if not (allow_local_http and is_local_host(host)):
        _public_only(host)
    return url


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a few redirects, each checked like the original link."""

    max_redirections = 3

    def __init__(self, allow_local_http: bool) -> None:
        super().__init__()
        self.allow_local_http = allow_local_http

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        try:
            check_destination(newurl, allow_local_http=self.allow_local_http)
        except FeedRefused:
            raise FeedProblem("the calendar link redirected somewhere the app doesn't fetch from") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_feed(
    url: str,
    *,
    allow_local_http: bool = False,
    timeout: float = FEED_TIMEOUT_SECONDS,
    max_bytes: int = MAX_FEED_BYTES,
) -> bytes:
    """The feed's bytes; FeedProblem (words for its owner, no URL) when it cannot be had."""
    try:
        target = check_destination(url, allow_local_http=allow_local_http)
    except FeedRefused as refused:
        raise FeedProblem(str(refused)) from None
    request = urllib.request.Request(target, headers={"Accept": "text/calendar, */*;q=0.5"})
    opener = urllib.request.build_opener(_CheckedRedirects(allow_local_http))
    try:
        with opener.open(request, timeout=timeout) as response:
            content: bytes = response.read(max_bytes + 1)
    except urllib.error.HTTPError as error:
        if error.code in (401, 403, 404, 410):
            raise FeedProblem(
                f"the calendar's server said the link no longer works (HTTP {error.code})"
            ) from None
        raise FeedProblem(f"the calendar's server had a problem (HTTP {error.code})") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, FeedProblem):
            raise reason from None
        slow = isinstance(reason, TimeoutError | socket.timeout)
        what = "it took too long to answer" if slow else "the connection failed"
        raise FeedProblem(f"the calendar's server couldn't be reached ({what})") from None
    if len(content) > max_bytes:
        raise FeedProblem(f"the calendar is larger than {max_bytes // 1_048_576} MB")
    return content
