"""The HTML report in a real headless Chromium, driven over the DevTools protocol (aiohttp).

Checks what a person would meet: no console error or uncaught exception, the charts drawn as
inline SVG, no request leaving the file, a planted ``<script>`` (and an ``onerror`` handler)
that never ran, sessions that expand, and a phone-width layout with no sideways scrolling.
Skipped only when no Chromium binary is installed (CI installs Debian's ``chromium``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.present.test_report import make_replay_run
from tutorloop.present.report import ReportOptions, write_report

pytestmark = pytest.mark.e2e

PLANTED = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 1">'
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def chromium() -> str | None:
    """``$CHROMIUM`` if set, else the first Chromium-family binary on PATH."""
    named = os.environ.get("CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


BINARY = chromium()
if BINARY is None:
    pytest.skip(
        "no Chromium binary found (looked for $CHROMIUM and " + ", ".join(BROWSERS) + "); "
        "install Debian's chromium: apt-get install -y chromium",
        allow_module_level=True,
    )


class DevTools:
    """A minimal DevTools-protocol client over one page's websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.loaded = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.pending:
                self.pending.pop(data["id"]).set_result(data)
            elif "method" in data:
                self.events.append(data)
                if data["method"] == "Page.loadEventFired":
                    self.loaded.set()

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        await self.ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        reply = await asyncio.wait_for(future, 30)
        assert "error" not in reply, reply
        return reply["result"]

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def errors(self) -> list[str]:
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params.get('exceptionDetails')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')} {params['entry'].get('url')}")
        return found

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    store = make_replay_run(root, planted=PLANTED)
    return write_report("R", root / "report.html", ReportOptions(store_path=store))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    log = (profile.parent / "chromium.log").open("wb")
    assert BINARY is not None
    process = subprocess.Popen(
        [BINARY, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--no-default-browser-check", f"--user-data-dir={profile}",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
    )  # fmt: skip
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 60
    try:
        while not (port_file.exists() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                stderr = Path(log.name).read_text(errors="replace")[-2000:]
                pytest.fail(f"Chromium did not start (exit {process.returncode}): {stderr}")
            time.sleep(0.1)
        yield int(port_file.read_text().splitlines()[0])
    finally:
        group = process.pid  # its own session: the browser and the helpers it started
        try:
            os.killpg(group, signal.SIGTERM)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            log.close()


async def _inspect(port: int, page_url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
            targets = await response.json(content_type=None)
        target = next(t for t in targets if t.get("type") == "page")
        async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            tools = DevTools(ws)
            for domain in ("Runtime", "Log", "Page", "Network"):
                await tools.send(f"{domain}.enable")
            await tools.send("Page.navigate", url=page_url)
            await asyncio.wait_for(tools.loaded.wait(), 30)
            await asyncio.sleep(0.5)  # let late errors arrive
            seen: dict[str, Any] = {
                "svg": await tools.evaluate("document.querySelectorAll('svg').length"),
                "chart_svg": await tools.evaluate(
                    "[...document.querySelectorAll('figure.chart svg')]"
                    ".filter(s => s.getBoundingClientRect().width > 100).length"
                ),
                "pwned": await tools.evaluate("window.__pwned === undefined"),
                "scripts": await tools.evaluate("document.scripts.length"),
                "planted_text": await tools.evaluate(
                    "document.body.textContent.includes('<script>window.__pwned = 1</script>')"
                ),
                "expands": await tools.evaluate(
                    "(() => { const d = document.querySelector('details.session');"
                    " const t = d.querySelector('.turn'); const before = t.checkVisibility();"
                    " d.open = true; return [before, t.checkVisibility()]; })()"
                ),
                "marks": await tools.evaluate("document.querySelectorAll('mark').length"),
            }
            await tools.send(
                "Emulation.setDeviceMetricsOverride",
                width=390, height=844, deviceScaleFactor=2, mobile=True,
            )  # fmt: skip
            await asyncio.sleep(0.3)
            seen["phone_overflow"] = await tools.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            seen["errors"] = tools.errors()
            seen["requests"] = tools.requests()
            tools.reader.cancel()
            return seen


def test_the_report_renders_cleanly_in_chromium(browser, report_file):
    seen = asyncio.run(asyncio.wait_for(_inspect(browser, report_file.as_uri()), 90))
    assert seen["errors"] == []
    assert seen["svg"] >= 6 and seen["chart_svg"] >= 6
    assert seen["pwned"] is True, "a planted script or handler ran"
    assert seen["scripts"] == 0
    assert seen["planted_text"] is True  # shown to the reader as text
    assert seen["marks"] > 0
    before, after = seen["expands"]
    assert before is False and after is True  # collapsed until opened, then the turns show
    assert seen["phone_overflow"] <= 0, "the page scrolls sideways at phone width"
    assert all(url.startswith(("file:", "data:", "about:")) for url in seen["requests"]), seen[
        "requests"
    ]
