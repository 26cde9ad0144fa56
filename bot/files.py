"""Downloading a file someone shared with the app (a roster CSV in `/mentor import`).

Slack serves private files from `url_private_download` to holders of a token with the
`files:read` scope, sent as `Authorization: Bearer …`. The token only ever goes to
Slack's own hosts (or the configured API host, for GovSlack and tests): the URL comes
from a request payload, and a token must never follow a URL anywhere else.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

DOWNLOAD_TIMEOUT_SECONDS = 20
SLACK_FILE_HOSTS = ("slack.com", "slack-gov.com")


class FileProblem(Exception):
    """The file could not be fetched; the message says what the person can do."""


def _trusted(url: str, api_url: str) -> bool:
    """Slack's own hosts over HTTPS, or exactly the configured API host (scheme included)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    api = urlsplit(api_url)
    if (parts.scheme, host, parts.port) == (api.scheme, (api.hostname or "").lower(), api.port):
        return True
    return parts.scheme == "https" and any(host == h or host.endswith("." + h) for h in SLACK_FILE_HOSTS)


class _TokenStaysHome(urllib.request.HTTPRedirectHandler):
    """Follows redirects, but the bearer token only to trusted hosts: urllib would
    otherwise copy the Authorization header onto any redirect target."""

    def __init__(self, api_url: str) -> None:
        super().__init__()
        self.api_url = api_url

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and not _trusted(newurl, self.api_url):
            new.remove_header("Authorization")
        return new


def download_shared_file(file: dict[str, Any], *, token: str, api_url: str, max_bytes: int) -> bytes:
    """The bytes of a file object from a view submission, at most `max_bytes` of them."""
    url = file.get("url_private_download") or file.get("url_private")
    if not url or not _trusted(str(url), api_url):
        raise FileProblem("Slack didn't give me a download link for that file. Please upload it again.")
    request = urllib.request.Request(str(url), headers={"Authorization": f"Bearer {token}"})
    try:
        opener = urllib.request.build_opener(_TokenStaysHome(api_url))
        with opener.open(request, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
            content = response.read(max_bytes + 1)
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            raise FileProblem(
                "Slack wouldn't let me read that file. The app needs the `files:read` permission: ask "
                "whoever installed Mentor Nudge to reinstall it from the current manifest."
            ) from None
        raise FileProblem(
            f"Slack couldn't hand over that file (HTTP {error.code}). Please try uploading it again."
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise FileProblem(
            f"I couldn't download that file from Slack ({error.__class__.__name__}). "
            "Please try again in a minute."
        ) from None
    if len(content) > max_bytes:
        raise FileProblem(
            f"That file is larger than {max_bytes // 1_048_576} MB, which is more than a roster needs. "
            "Remove columns you don't need, or split it."
        )
    # Without files:read Slack answers with its sign-in page instead of the file.
    if content.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise FileProblem(
            "Slack sent a web page instead of the file, which usually means the app is missing the "
            "`files:read` permission. Ask whoever installed Mentor Nudge to reinstall it from the current "
            "manifest, or paste the rows instead."
        )
    return content
