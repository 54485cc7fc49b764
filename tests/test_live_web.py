"""``motiongen live --web``: the page and its WebSocket stream.

The server answers only the page and the stream, listens on 127.0.0.1 by default, refuses other
sites' pages and other host names, and drops whatever clients send (malformed, binary, oversized,
hostile) without stopping the stream. The page is loaded in a real headless Chromium (Selenium):
it connects, receives frames and draws them. Without Chromium the browser test skips with the
reason, unless ``MOTIONGEN_REQUIRE_BROWSER=1`` (CI, which installs it) makes that a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import tempfile
import threading
import time

import numpy as np
import pytest

from motiongen.core.skeleton import SkeletonTemplate
from motiongen.datasets.beat.format import beat_motion_format
from motiongen.skeletons import load_joint_set
from motiongen.live.frames import FrameBuilder
from motiongen.live.web import MAX_CLIENT_MESSAGE, WebView
from motiongen.skeletons import load_beat75_template

REQUIRE_BROWSER = "MOTIONGEN_REQUIRE_BROWSER"


@pytest.fixture(scope="module")
def frames():
    template = SkeletonTemplate.from_motion(load_beat75_template())
    joints = load_joint_set("beat47_upper")
    fmt = beat_motion_format(30, joints, template, 109, {"mfcc": (0, 109)}, 9, [2])
    t = np.arange(60)[:, None] / 30
    rng = np.random.default_rng(0)
    gesture = (0.3 * np.sin(2 * np.pi * 0.5 * t + rng.uniform(0, 6, 3 * len(joints)))).astype(np.float32)
    expression = np.clip(0.5 + 0.5 * np.sin(2 * np.pi * 2 * t + rng.uniform(0, 6, 52)), 0, 1).astype(np.float32)
    return template.skeleton, FrameBuilder(fmt).build(0, {"gesture": gesture, "expression": expression})


class Feeder:
    """Emits the prepared frames at 30 fps in a loop until stopped (what the session's clock does)."""

    def __init__(self, view: WebView, payloads: list[str]):
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(view, payloads), daemon=True)
        self.thread.start()

    def _run(self, view, payloads):
        index = 0
        while not self.stop_event.is_set():
            view.emit(payloads[index % len(payloads)])
            index += 1
            time.sleep(1 / 30)

    def stop(self):
        self.stop_event.set()
        self.thread.join()


@pytest.fixture
def served(frames):
    skeleton, batch = frames
    view = WebView(skeleton, 30.0, 0)
    view.start()
    feeder = Feeder(view, view.prepare(batch))
    yield view
    feeder.stop()
    view.stop()


def test_listens_on_loopback_only_by_default(served):
    assert served.host == "127.0.0.1" and served.url.startswith("http://127.0.0.1:")
    with socket.create_connection(("127.0.0.1", served.port), timeout=2):
        pass
    addresses = [a for a in {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
                 if not a.startswith("127.") and a != "::1"]
    for address in addresses[:2]:  # another interface of this machine: nothing listens there
        with pytest.raises(OSError):
            socket.create_connection((address, served.port), timeout=1).close()


def test_only_the_page_and_the_stream_are_served(served):
    import urllib.error
    import urllib.request

    base = f"http://127.0.0.1:{served.port}"
    page = urllib.request.urlopen(base + "/", timeout=5)
    assert page.status == 200 and b"motiongen live" in page.read()
    for path in ("/web_page.html", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/static/", "/__init__.py",
                 "/stream/../web.py", "/favicon.ico"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(base + path, timeout=5)
        assert err.value.code in (400, 404), path
    request = urllib.request.Request(base + "/", headers={"Host": "attacker.example:80"})
    with pytest.raises(urllib.error.HTTPError) as err:  # DNS rebinding: a foreign host name
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 403


async def _session(port: int, hostile: bool, origin: str | None = None) -> dict:
    """Connect, optionally misbehave, and report what was received."""
    import aiohttp

    url = f"http://127.0.0.1:{port}/stream"
    headers = {"Origin": origin} if origin else {}
    received, closed = [], False
    async with aiohttp.ClientSession() as client:
        async with client.ws_connect(url, headers=headers, max_msg_size=0) as ws:
            received.append(json.loads((await ws.receive(timeout=5)).data))
            if hostile:
                for message in ("not json", '{"type": "frame", "frame": "x"', json.dumps({"type": "__proto__"}),
                                "\x00" * 100, json.dumps({"eval": "alert(1)"}) * 10):
                    await ws.send_str(message)
                await ws.send_bytes(os.urandom(1000))
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and len(received) < 30:
                message = await ws.receive(timeout=3)
                if message.type != aiohttp.WSMsgType.TEXT:
                    closed = True
                    break
                received.append(json.loads(message.data))
    return {"messages": received, "closed": closed}


async def _oversized(port: int) -> bool:
    import aiohttp

    async with aiohttp.ClientSession() as client:
        async with client.ws_connect(f"http://127.0.0.1:{port}/stream") as ws:
            await ws.receive(timeout=5)
            await ws.send_str("x" * (MAX_CLIENT_MESSAGE * 4))
            for _ in range(100):
                message = await ws.receive(timeout=5)
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    return True
    return False


def test_hostile_clients_are_ignored_and_the_stream_goes_on(served, frames):
    async def scenario():
        return await asyncio.gather(_session(served.port, hostile=False), _session(served.port, hostile=True),
                                    _oversized(served.port))

    polite, hostile, oversized_closed = asyncio.run(scenario())
    for result in (polite, hostile):
        assert result["messages"][0]["type"] == "skeleton"
        assert len(result["messages"]) == 30 and not result["closed"]
        frame = result["messages"][-1]
        assert frame["type"] == "frame" and len(frame["arkit"]) == 52 and len(frame["joints"]) == frames[0].num_joints
    assert served.ignored_messages == 6
    assert oversized_closed  # that client only; the others kept receiving
    after = asyncio.run(_session(served.port, hostile=False))
    assert len(after["messages"]) == 30


def test_other_sites_pages_cannot_open_the_stream(served):
    import aiohttp

    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        asyncio.run(_session(served.port, hostile=False, origin="http://evil.example"))
    assert err.value.status == 403
    same_site = asyncio.run(_session(served.port, hostile=False, origin=f"http://127.0.0.1:{served.port}"))
    assert len(same_site["messages"]) == 30


def browser_paths() -> tuple[str, str]:
    """Chromium and its driver, or skip (fail when MOTIONGEN_REQUIRE_BROWSER=1) naming what is missing."""
    browser = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver = shutil.which("chromedriver")
    missing = [what for what, path in (("chromium", browser), ("chromedriver", driver)) if path is None]
    if missing:
        reason = f"no {' and no '.join(missing)} on PATH (Debian/Ubuntu: apt-get install chromium chromium-driver)"
        if os.environ.get(REQUIRE_BROWSER) == "1":
            pytest.fail(f"{reason} ({REQUIRE_BROWSER}=1)")
        pytest.skip(reason)
    try:
        import selenium  # noqa: F401
    except ImportError:
        if os.environ.get(REQUIRE_BROWSER) == "1":
            pytest.fail(f"selenium is not installed ({REQUIRE_BROWSER}=1)")
        pytest.skip("selenium is not installed (pip install motiongen[test])")
    return browser, driver


def test_page_in_headless_chromium_connects_receives_and_draws(served):
    browser, driver_path = browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    profile = tempfile.mkdtemp(prefix="motiongen-chromium-")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.set_page_load_timeout(30)
        driver.get(served.url)
        deadline = time.monotonic() + 30
        state = {}
        while time.monotonic() < deadline:
            state = driver.execute_script("return window.motiongenView && {connected: motiongenView.connected, "
                                          "frames: motiongenView.frames, drawn: motiongenView.drawn, "
                                          "joints: motiongenView.skeleton && motiongenView.skeleton.names.length}")
            if state and state["frames"] >= 20 and state["drawn"] >= 5:
                break
            time.sleep(0.2)
        assert state and state["connected"] and state["frames"] >= 20 and state["drawn"] >= 5, state
        assert state["joints"] == 75
        painted = driver.execute_script("""
            return ["body", "face", "weights"].map((id) => {
              const c = document.getElementById(id), data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
              let n = 0; for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++; return n; });""")
        assert all(count > 500 for count in painted), painted
        logs = driver.get_log("browser") if hasattr(driver, "get_log") else []
        assert not [entry for entry in logs if entry.get("level") == "SEVERE"], logs
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.parametrize("required, outcome", [("1", pytest.fail.Exception), ("0", pytest.skip.Exception)])
def test_a_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch, tmp_path, required, outcome):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv(REQUIRE_BROWSER, required)
    with pytest.raises(outcome, match="no chromium"):
        browser_paths()
