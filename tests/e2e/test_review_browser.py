"""The review app in a real headless Chromium against a real ``tutorloop serve`` process.

A reviewer signs in through the form, opens the queue, filters it, opens a session from the
keyboard, labels two checks and one tutor turn with the keyboard; the labels are then in
``tutorloop agreement --run`` and in the report. No console error, and no request leaves
127.0.0.1. Skipped only when no Chromium binary is installed (as the report's browser test).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from html import unescape
from pathlib import Path
from typing import Any

import aiohttp
import httpx2 as httpx
import pytest

import tutorloop
from tests.e2e.serve_process import free_port, start_service
from tests.e2e.test_report_browser import DevTools, browser  # noqa: F401 (the fixture)
from tutorloop.bundled import bundled_sessions
from tutorloop.present.report import ReportOptions, build_report
from tutorloop.run import RunConfig

pytestmark = pytest.mark.e2e

RUN = "reviewed"
ADMIN = "review-admin-" + "q1w2e3r4t5y6u7i8o9"
ALICE = "review-alice-" + "z1x2c3v4b5n6m7a8s9"
KEYS = {
    "j": ("KeyJ", 74), "p": ("KeyP", 80), "f": ("KeyF", 70), "2": ("Digit2", 50),
    "Enter": ("Enter", 13), "ArrowDown": ("ArrowDown", 40),
}  # fmt: skip


@pytest.fixture
def served(tmp_path: Path):
    """``tutorloop serve`` over a graded run of the bundled sessions, with reviewer alice."""
    tutorloop.grade(
        bundled_sessions(), run=RunConfig(run_id=RUN, store_path=tmp_path / "tutorloop.db")
    )
    (tmp_path / "serve.yaml").write_text(json.dumps({"graceful_shutdown_s": 2}), encoding="utf-8")
    env = {
        **os.environ,
        "TUTORLOOP_API_TOKEN": ADMIN,
        "TUTORLOOP_REVIEWER_TOKENS": f"alice={ALICE}",
    }
    port = free_port()
    process = start_service(tmp_path, port, env, "serve.log")
    try:
        yield f"http://127.0.0.1:{port}", tmp_path / "tutorloop.db"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def _probe(tools: DevTools, expression: str) -> Any:
    """``expression``'s value, or None while a page is still navigating."""
    try:
        return await tools.evaluate(expression)
    except AssertionError:
        return None


async def _until(tools: DevTools, expression: str, timeout: float = 30) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await _probe(tools, expression)
        if value:
            return value
        assert loop.time() < deadline, f"never true: {expression}"
        await asyncio.sleep(0.1)


async def _press(tools: DevTools, key: str) -> None:
    code, vk = KEYS[key]
    text = key if len(key) == 1 else ("\r" if key == "Enter" else "")
    common = {"key": key, "code": code, "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk}
    await tools.send("Input.dispatchKeyEvent", type="keyDown", text=text, **common)
    await tools.send("Input.dispatchKeyEvent", type="keyUp", **common)
    await asyncio.sleep(0.05)


async def _loaded(tools: DevTools, path_part: str) -> None:
    await _until(
        tools,
        f"location.href.includes({json.dumps(path_part)}) && document.readyState === 'complete'",
    )


async def _review(port: int, url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
            targets = await response.json(content_type=None)
        target = next(t for t in targets if t.get("type") == "page")
        async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            tools = DevTools(ws)
            for domain in ("Runtime", "Log", "Page", "Network"):
                await tools.send(f"{domain}.enable")
            seen: dict[str, Any] = {}
            # 1. the queue needs a session: the browser is sent to the sign-in form
            await tools.send("Page.navigate", url=f"{url}/review/runs/{RUN}/queue")
            await _loaded(tools, "/review/login")
            await tools.evaluate("document.getElementById('token').focus()")
            await tools.send("Input.insertText", text=ALICE)
            await tools.evaluate("document.querySelector('button[type=submit]').click()")
            await _loaded(tools, f"/review/runs/{RUN}/queue")
            seen["rows"] = await tools.evaluate("document.querySelectorAll('tr[data-row]').length")
            # 2. filter by the first session's domain, with the plain form
            domain = await tools.evaluate(
                "(() => { const s = document.getElementById('f-domain');"
                " s.value = s.options[1].value; return s.value; })()"
            )
            await tools.evaluate("document.querySelector('#filters button').click()")
            await _loaded(tools, "domain=")
            seen["domain"] = domain
            seen["filtered"] = await tools.evaluate(
                "[...document.querySelectorAll('tr[data-row] td:nth-child(5)')]"
                ".map(td => td.textContent.trim())"
            )
            # 3. open the first session from the keyboard
            await _press(tools, "j")
            await _press(tools, "Enter")
            await _loaded(tools, "/items/")
            seen["item"] = await tools.evaluate("document.getElementById('session').dataset.item")
            # 4. fail the first check, pass the second, "To some extent" on a turn dimension
            await _press(tools, "ArrowDown")
            await _press(tools, "f")
            await _press(tools, "ArrowDown")
            await _press(tools, "p")
            for _ in range(40):
                if await tools.evaluate("document.activeElement.dataset.kind") == "turn":
                    break
                await _press(tools, "ArrowDown")
            await _press(tools, "2")
            await _until(
                tools,
                "[...document.querySelectorAll('.target .saved')]"
                ".filter(s => s.textContent === 'saved').length === 3",
            )
            seen["checks"] = await tools.evaluate(
                "[...document.querySelectorAll('tr.check')].slice(0, 2)"
                ".map(t => [t.dataset.dimension, t.dataset.saved])"
            )
            seen["turn"] = await tools.evaluate(
                "(() => { const t = document.querySelector('.target[data-kind=turn]');"
                " return [t.dataset.turn, t.dataset.dimension, t.dataset.saved]; })()"
            )
            await asyncio.sleep(0.5)  # let late errors arrive
            seen["errors"] = tools.errors()
            seen["requests"] = tools.requests()
            tools.reader.cancel()
            return seen


def test_a_reviewer_labels_in_the_browser_and_the_labels_flow_on(
    browser: int,  # noqa: F811
    served: tuple[str, Path],
) -> None:
    url, store = served
    seen = asyncio.run(asyncio.wait_for(_review(browser, url), 180))
    assert seen["errors"] == []
    assert all(u.startswith((url + "/", "data:", "about:")) for u in seen["requests"]), seen[
        "requests"
    ]
    assert seen["rows"] >= 2
    assert seen["filtered"] and set(seen["filtered"]) == {seen["domain"]}
    (first, first_value), (second, second_value) = seen["checks"]
    assert (first_value, second_value) == ("fail", "pass")
    turn, dimension, value = seen["turn"]
    assert value == "To some extent"
    with httpx.Client(base_url=url, timeout=30) as admin:
        admin.headers["Authorization"] = f"Bearer {ADMIN}"
        labels = admin.get("/v1/labels", params={"run_id": RUN}).json()["data"]
    assert sorted((x["dimension"], x["value"], x["turn"], x["rater"]) for x in labels) == sorted(
        [(first, "fail", None, "alice"), (second, "pass", None, "alice"),
         (dimension, "To some extent", int(turn), "alice")]
    )  # fmt: skip
    assert {x["item_key"] for x in labels} == {seen["item"]}
    agreement = subprocess.run(
        [sys.executable, "-m", "tutorloop", "agreement", "--run", RUN, "--store", str(store),
         "--resamples", "0", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert agreement.returncode == 0, agreement.stderr
    scores = json.loads(agreement.stdout)
    assert {first, second} <= {s["dimension"] for s in scores}
    report = unescape(build_report(RUN, ReportOptions(store_path=store)))
    assert "Agreement with people" in report and f"reviewers' labels of run {RUN}" in report
