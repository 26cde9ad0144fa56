"""A fake Socket Mode endpoint: a minimal WebSocket server on 127.0.0.1.

The fake Web API answers `apps.connections.open` with this server's `ws://` URL, so
slack_sdk's own Socket Mode client connects here exactly as it connects to Slack. The
test pushes envelopes (a slash command, say) and reads the acknowledgements back.
Only what Socket Mode uses is implemented: the RFC 6455 handshake, text frames,
ping/pong and close.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import queue
import socket
import struct
import threading
from typing import Any

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def _frame(opcode: int, payload: bytes) -> bytes:
    header = bytes([0x80 | opcode])
    size = len(payload)
    if size < 126:
        header += bytes([size])
    elif size < 1 << 16:
        header += bytes([126]) + struct.pack("!H", size)
    else:
        header += bytes([127]) + struct.pack("!Q", size)
    return header + payload


def _read_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_frame(conn: socket.socket) -> tuple[int, bytes]:
    first, second = _read_exact(conn, 2)
    opcode = first & 0x0F
    size = second & 0x7F
    if size == 126:
        size = struct.unpack("!H", _read_exact(conn, 2))[0]
    elif size == 127:
        size = struct.unpack("!Q", _read_exact(conn, 8))[0]
    mask = _read_exact(conn, 4) if second & 0x80 else b"\0\0\0\0"
    payload = bytearray(_read_exact(conn, size))
    for i in range(size):
        payload[i] ^= mask[i % 4]
    return opcode, bytes(payload)


class FakeSocketModeServer:
    """Accepts Socket Mode connections; `send()` pushes envelopes to the newest one."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self._conn: socket.socket | None = None
        self._connected = threading.Event()
        self._send_lock = threading.Lock()
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self._stopped = False
        threading.Thread(target=self._accept_loop, name="fake-socket-mode", daemon=True).start()

    @property
    def url(self) -> str:
        """The URL `apps.connections.open` should hand out."""
        port = self._listener.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=fake-ticket&app_id=A0MENTOR1"

    def _accept_loop(self) -> None:
        while not self._stopped:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(1024)
                if not chunk:
                    return
                request += chunk
            headers = {}
            for line in request.decode().split("\r\n")[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + _GUID).encode()).digest())
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            self._conn = conn
            self._push({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0MENTOR1"}})
            self._connected.set()
            while True:
                opcode, payload = _read_frame(conn)
                if opcode == TEXT:
                    self.received.put(json.loads(payload))
                elif opcode == PING:
                    with self._send_lock:
                        conn.sendall(_frame(PONG, payload))
                elif opcode == CLOSE:
                    with self._send_lock:
                        conn.sendall(_frame(CLOSE, payload[:2]))
                    return
        except (ConnectionError, OSError, KeyError):
            return
        finally:
            conn.close()

    def _push(self, message: dict[str, Any]) -> None:
        assert self._conn is not None
        with self._send_lock:
            self._conn.sendall(_frame(TEXT, json.dumps(message).encode()))

    def wait_connected(self, timeout: float = 10) -> None:
        """Block until a client has completed the handshake."""
        if not self._connected.wait(timeout):
            raise AssertionError("no Socket Mode client connected")

    def send(self, envelope: dict[str, Any]) -> None:
        """Push one envelope to the connected client."""
        self.wait_connected()
        self._push(envelope)

    def response_to(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        """The client's acknowledgement of `envelope_id` (other messages are skipped)."""
        while True:
            message = self.received.get(timeout=timeout)
            if message.get("envelope_id") == envelope_id:
                return message

    def stop(self) -> None:
        """Close the listener and the current connection."""
        self._stopped = True
        self._listener.close()
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
