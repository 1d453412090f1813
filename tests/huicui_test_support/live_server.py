"""Run the real service with uvicorn on 127.0.0.1 in a background thread (for socket tests)."""

from __future__ import annotations

import contextlib
import socket


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def uvicorn_in_thread(config):
    """Run a ``uvicorn.Config`` in a background thread until the block ends."""
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(15)


@contextlib.contextmanager
def serving(app):
    """Serve ``app`` until the block ends; yields the base URL."""
    import uvicorn

    port = free_port()
    with uvicorn_in_thread(uvicorn.Config(app, host="127.0.0.1", port=port,
                                          log_level="warning", lifespan="on",
                                          access_log=False)):
        yield f"http://127.0.0.1:{port}"


def post_and_hang_up(base_url: str, path: str, token: str, body: bytes) -> None:
    """Send a whole POST, then close the socket without reading a byte of the answer."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
    # The socket is closed here: whatever the server answers goes nowhere.
