"""Sending files to someone's direct messages: reports, exports, a person's own data.

Files go with slack_sdk's `files_upload_v2` (Slack's three-step upload: reserve, send
the bytes, share). Its last step shares the files in a conversation and needs that
conversation's own id (`D…`), not the member's. Posting the covering message first
gives that id — `chat.postMessage` to a member id opens their DM — so the app needs no
`im:write` scope, only `files:write`; the files then appear right under the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk import WebClient


@dataclass(frozen=True)
class OutgoingFile:
    """One file to share: its name (with extension), its bytes, and a readable title."""

    filename: str
    content: bytes
    title: str


def send_files_to_dm(
    client: WebClient, user_id: str, *, text: str, files: Sequence[OutgoingFile]
) -> list[str]:
    """Post `text` in the person's DM, then share `files` there; returns the file ids.

    Raises slack_sdk's errors as they come (the caller knows whom to tell and how).
    """
    posted = client.chat_postMessage(channel=user_id, text=text, unfurl_links=False, unfurl_media=False)
    if not files:
        return []
    return share_files(client, str(posted["channel"]), files)


def share_files(client: WebClient, channel: str, files: Sequence[OutgoingFile]) -> list[str]:
    """Share `files` in a conversation whose own id (`D…`, `C…`) is known; returns the file ids."""
    shared = client.files_upload_v2(
        channel=channel,
        file_uploads=[{"content": f.content, "filename": f.filename, "title": f.title} for f in files],
    )
    return [str(item["id"]) for item in shared.get("files") or []]
