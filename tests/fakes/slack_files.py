"""The fake Slack's file uploads: the three steps of `files_upload_v2`.

Slack's current upload flow (the one slack_sdk's `files_upload_v2` uses) has three steps:
`files.getUploadURLExternal` reserves a file id and hands out an upload URL; the client
POSTs the raw bytes to that URL (no token: the URL is the credential); then
`files.completeUploadExternal` names the files (id and title) and shares them in a
conversation, optionally with a comment. The fake keeps every completed upload with its
bytes, so tests can decode a PNG or read a CSV exactly as the recipient would, and it
answers the way Slack does when a step is skipped (a file never uploaded, a wrong length,
an unknown conversation).
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.slack_api import FakeSlack


@dataclass
class Upload:
    """One file from reservation to share."""

    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    shared: bool = False
    token: str | None = None

    @property
    def text(self) -> str:
        """The content as UTF-8 text (for CSV and Markdown files)."""
        return (self.content or b"").decode("utf-8")


@dataclass
class FakeFiles:
    """The upload endpoints of one FakeSlack (see the module docstring)."""

    fake: FakeSlack
    uploads: dict[str, Upload] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # How many of the next byte uploads the file server refuses, and with what status:
    # slack_sdk raises urllib's HTTPError (an OSError) for 4xx/5xx, and its own
    # SlackRequestError for any other status than 200.
    refuse_next: int = 0
    refuse_status: int = 500

    def get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        """`files.getUploadURLExternal`: reserve an id for `filename` of `length` bytes."""
        try:
            length = int(args["length"])
        except (TypeError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if length <= 0:
            return {"ok": False, "error": "invalid_length"}
        with self._lock:
            file_id = f"F0UP{next(self._ids):05d}"
            self.uploads[file_id] = Upload(
                file_id, str(args["filename"]), length, token=self.fake.caller_token
            )
        return {"ok": True, "upload_url": f"{self.fake.base}/upload/{file_id}", "file_id": file_id}

    def receive(self, file_id: str, content: bytes) -> tuple[int, str]:
        """The POST to an upload URL: (status, body) as Slack's file servers answer."""
        with self._lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return self.refuse_status, "refused"
            upload = self.uploads.get(file_id)
            if upload is None:
                return 404, "not found"
            upload.content = content
        return 200, f"OK - {len(content)}"

    def complete(self, args: dict[str, Any]) -> dict[str, Any]:
        """`files.completeUploadExternal`: share the uploaded files in a conversation."""
        files = args.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        channel = args.get("channel_id")
        if channel and not self.fake.knows_conversation(str(channel)):
            return {"ok": False, "error": "channel_not_found"}
        done = []
        with self._lock:
            for item in files:
                upload = self.uploads.get(str(item.get("id")))
                if upload is None or upload.content is None:
                    return {"ok": False, "error": "file_not_found"}
                if len(upload.content) != upload.length:
                    return {"ok": False, "error": "file_upload_size_mismatch"}
                upload.title = item.get("title") or upload.filename
                upload.channel = str(channel) if channel else None
                upload.initial_comment = args.get("initial_comment")
                upload.thread_ts = args.get("thread_ts")
                upload.shared = True
                self.fake.files[upload.file_id] = (upload.filename, upload.content)
                done.append({"id": upload.file_id, "title": upload.title, "name": upload.filename})
        return {"ok": True, "files": done}

    def shared_in(self, channel: str) -> list[Upload]:
        """Files shared in `channel` (a DM's D… id), oldest first."""
        with self._lock:
            return [u for u in self.uploads.values() if u.shared and u.channel == channel]

    def shared(self) -> list[Upload]:
        """Every shared file, oldest first."""
        with self._lock:
            return [u for u in self.uploads.values() if u.shared]
