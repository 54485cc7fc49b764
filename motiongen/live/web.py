"""``--web``: a local page that draws the live skeleton and face from a WebSocket stream of the frames.

The server (aiohttp, in its own thread and event loop) answers exactly two paths: ``GET /`` the
page (:file:`web_page.html`, packaged with motiongen) and ``GET /stream`` the WebSocket; everything
else is 404, and no file is ever read from a request. It listens on 127.0.0.1 unless ``host``
opens it (``--web-host 0.0.0.0``).

Stream messages are JSON text: on connecting, ``{"type": "skeleton", "names", "parents", "fps",
"arkit_names"}``; then one ``{"type": "frame", "frame", "time", "joints": [[x, y, z] cm ...],
"arkit": [52 weights]}`` per frame sent. Clients have nothing to say: whatever they send
(text, binary, malformed, up to :data:`MAX_CLIENT_MESSAGE` bytes) is read and dropped, counted in
``ignored_messages``; a larger message closes that client's connection only. A client too slow to
take the frames loses its oldest ones (a bounded queue per client), never stalling the others.
Connections whose ``Origin`` is another site are refused (a page elsewhere cannot read the stream),
and on loopback so are requests whose ``Host`` is not a loopback name (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import threading
from importlib import resources

import numpy as np

from motiongen.core.errors import ConfigError
from motiongen.formats.arkit import ARKIT_NAMES

log = logging.getLogger(__name__)

MAX_CLIENT_MESSAGE = 4096  # bytes
CLIENT_QUEUE_FRAMES = 60
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def _page() -> bytes:
    return resources.files("motiongen.live").joinpath("web_page.html").read_bytes()


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


class WebView:
    """The page and stream server; also a session sink (``prepare`` / ``emit``).

    Args:
        skeleton: the BEAT skeleton drawn (names and parents).
        fps: frame rate of the stream.
        port: TCP port (0 = any free one; see :attr:`port` after :meth:`start`).
        host: interface to listen on (default loopback only).
    """

    name = "web"

    def __init__(self, skeleton, fps: float, port: int, host: str = "127.0.0.1"):
        if not 0 <= port <= 65535:
            raise ConfigError(f"--web {port}: port outside 0-65535")
        self.requested_port, self.host = port, host
        self.port: int | None = None
        self.hello = json.dumps({"type": "skeleton", "names": list(skeleton.names),
                                 "parents": [int(p) for p in skeleton.parents], "fps": fps,
                                 "arkit_names": list(ARKIT_NAMES)})
        self.ignored_messages = 0
        self.refused = 0
        self._clients: set[asyncio.Queue] = set()
        self._sockets: set = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner = None
        self._thread: threading.Thread | None = None

    # --- session sink -------------------------------------------------------------------------
    def prepare(self, batch) -> list[str]:
        joints = np.round(batch.joint_positions.astype(np.float64), 2).tolist()
        arkit = np.round(batch.arkit.astype(np.float64), 4).tolist()
        times = batch.times()
        return [json.dumps({"type": "frame", "frame": batch.start + i, "time": round(float(times[i]), 4),
                            "joints": joints[i], "arkit": arkit[i]}, separators=(",", ":"))
                for i in range(len(batch))]

    def emit(self, payload: str) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._broadcast, payload)

    def _broadcast(self, payload: str) -> None:
        for queue in self._clients:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(payload)

    # --- server -------------------------------------------------------------------------------
    def _allowed(self, request) -> bool:
        host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
        if _loopback(self.host) and not _loopback(host):
            return False
        origin = request.headers.get("Origin")
        if origin is not None and origin not in (f"http://{request.host}",):
            return False
        return True

    async def _index(self, request):
        from aiohttp import web

        if not self._allowed(request):
            self.refused += 1
            raise web.HTTPForbidden()
        return web.Response(body=_page(), content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                     "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
                                                                "style-src 'unsafe-inline'; img-src data:; connect-src 'self'"})

    async def _stream(self, request):
        from aiohttp import WSMsgType, web

        if not self._allowed(request):
            self.refused += 1
            raise web.HTTPForbidden()
        socket = web.WebSocketResponse(max_msg_size=MAX_CLIENT_MESSAGE, heartbeat=10)
        await socket.prepare(request)
        queue: asyncio.Queue = asyncio.Queue(maxsize=CLIENT_QUEUE_FRAMES)
        await socket.send_str(self.hello)
        self._clients.add(queue)
        self._sockets.add(socket)

        async def pump():
            try:
                while not socket.closed:
                    await socket.send_str(await queue.get())
            except ConnectionError:  # the client went away; the loop below ends too
                pass

        sender = asyncio.ensure_future(pump())
        try:
            async for message in socket:  # clients have nothing to say: drop whatever comes
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    self.ignored_messages += 1
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            self._clients.discard(queue)
            self._sockets.discard(socket)
            sender.cancel()
        return socket

    def start(self) -> None:
        """Listen (in a background thread); raises ConfigError when the port is taken."""
        from aiohttp import web

        app = web.Application(client_max_size=MAX_CLIENT_MESSAGE)
        app.router.add_get("/", self._index)
        app.router.add_get("/stream", self._stream)

        async def close_sockets(_app):
            for open_socket in list(self._sockets):
                await open_socket.close()

        app.on_shutdown.append(close_sockets)
        started = threading.Event()
        failure: list[BaseException] = []

        def serve():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
            try:
                self._loop.run_until_complete(self._runner.setup())
                site = web.TCPSite(self._runner, self.host, self.requested_port)
                self._loop.run_until_complete(site.start())
                self.port = self._runner.addresses[0][1]
            except OSError as err:
                failure.append(err)
                started.set()
                return
            started.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="web-view", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            self._loop = None
            raise ConfigError(f"--web {self.requested_port}: cannot listen on {self.host} ({failure[0].strerror})")

    @property
    def url(self) -> str:
        host = self.host if _loopback(self.host) else "127.0.0.1"
        return f"http://{host}:{self.port}/"

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop = None
