"""Take ``docs/asset-graph.png``: the Dagster UI's global asset lineage, raw ``zendesk`` group → ``analytics`` group.

What ``make screenshot`` runs. Everything happens in a throw-away folder, so your ``.dagster_home`` and
``data/zendesk.duckdb`` are never touched:

1. ``zd-pipeline demo --scale small`` syncs every stream from the embedded simulator and builds the analytics
   tables on a temporary instance, so the graph shows materialized assets and passing checks (``--no-demo``
   skips this and shows the bare definitions);
2. ``python -m dagster_webserver`` serves that instance on a free loopback port (its own session, stopped with
   ``os.killpg``) until ``GET /server_info`` answers;
3. headless Chromium (Debian's ``chromium`` package) loads the lineage page with both groups expanded, laid out
   top to bottom, and saves a PNG. Chromium is driven over its DevTools pipe (``--remote-debugging-pipe``:
   NUL-separated JSON on file descriptors 3 and 4), so no Python dependency is needed beyond the standard
   library: the script sets the UI's stored preferences (layout direction, navigation collapsed, community
   pop-up dismissed), waits until every asset node is drawn, and captures the page.

Any ``ZENDESK_*`` / ``ZD_*`` variables of your shell are dropped, so the picture is always of the simulator's
demo account with the default schema ``zendesk``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GROUPS = ("zendesk", "analytics")  # the story, left to right
# Expanded by default: analytics only. With both open the layout engine stacks the groups (the raw tables no
# analytics table reads share a column with the first analytics tables), a 1400 x 2800 graph that only fits a
# portrait picture; the collapsed raw group still shows its 8 assets and their state. `--expand zendesk,analytics`
# takes the tall picture.
DEFAULT_EXPANDED = ("analytics",)
# The UI's own localStorage keys (dagster-webserver 1.13): values are JSON, as the UI writes them.
UI_PREFERENCES = {
    "asset-graph-direction": "horizontal",
    "asset-node-facets": ["description", "status", "kind-tag"],  # what each table holds, its state, its kinds
    "dagster-nav-collapsed": True,
    "communityNux": True,  # the "join the community" pop-up, dismissed
}
INSTALL_HINT = "install Debian's Chromium first: sudo apt-get install -y chromium"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "asset-graph.png")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"))
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--no-demo", action="store_true", help="do not sync demo data first (bare definitions)")
    parser.add_argument("--expand", default=",".join(DEFAULT_EXPANDED), help="groups drawn open (comma-separated)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the UI to draw the graph")
    args = parser.parse_args(argv)

    chromium = shutil.which(args.chromium)
    if chromium is None:
        print(f"screenshot: {args.chromium!r} not found; {INSTALL_HINT}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="zd-screenshot-") as tmp:
        env = _environment(Path(tmp))
        if not args.no_demo:
            print("screenshot: syncing the demo account (small scale) into a temporary instance …", flush=True)
            subprocess.run(
                [sys.executable, "-m", "zd_pipeline.cli", "demo", "--scale", "small"],
                env=env,
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        port = _free_port()
        with _webserver(env, port) as base_url:
            expanded = [g for g in args.expand.split(",") if g]
            png = capture(chromium, base_url, expanded, args.width, args.height, args.timeout)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(png)
    print(f"screenshot: wrote {args.out} ({len(png) // 1024} KB)", flush=True)
    return 0


def _environment(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "ZD_", "DAGSTER_"))}
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env.update(DAGSTER_HOME=str(home), ZD_DUCKDB_PATH=str(tmp / "zendesk.duckdb"))
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _webserver:
    """``python -m dagster_webserver`` on ``port`` in its own session; the context value is its base URL."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.base_url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> str:
        command = [sys.executable, "-m", "dagster_webserver", "-m", "zd_pipeline.definitions"]
        command += ["-h", "127.0.0.1", "-p", str(self.port)]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            command, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"dagster_webserver exited:\n{self.log.read().decode(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/server_info", timeout=2) as response:
                    if response.status == 200:
                        return self.base_url
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        self.__exit__()
        raise TimeoutError("dagster_webserver did not answer /server_info within 120 s")

    def __exit__(self, *exc: object) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
        self.log.close()


def lineage_url(base_url: str, expanded: list[str]) -> str:
    """The global asset lineage with ``expanded`` groups drawn open (group ids as the UI spells them)."""
    query = urllib.parse.urlencode({"expanded": ",".join(f"global@global:{group}" for group in expanded)})
    return f"{base_url}/asset-groups?{query}"


def capture(chromium: str, base_url: str, expanded: list[str], width: int, height: int, timeout: float) -> bytes:
    """Load the lineage page in headless Chromium and return a PNG of the viewport."""
    with tempfile.TemporaryDirectory(prefix="zd-chromium-") as profile, _DevTools(chromium, profile, width) as cdp:
        target = cdp.call("Target.createTarget", url="about:blank")["targetId"]
        session = cdp.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = lambda method, **params: cdp.call(method, session=session, **params)  # noqa: E731
        page("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        page("Page.enable")
        _navigate(page, f"{base_url}/server_info")  # same origin, so the UI reads what is stored here
        store = "; ".join(
            f"localStorage.setItem({k!r}, {json.dumps(json.dumps(v))})" for k, v in UI_PREFERENCES.items()
        )
        page("Runtime.evaluate", expression=store)
        _navigate(page, lineage_url(base_url, expanded))
        _wait_for_graph(page, expanded, timeout)
        _hide_explorer_sidebar(page)  # the graph re-fits to the wider viewport
        _wait_for_graph(page, expanded, timeout)
        shot = page("Page.captureScreenshot", format="png", captureBeyondViewport=False)
    return base64.b64decode(shot["data"])


def _navigate(page: Any, url: str) -> None:
    page("Page.navigate", url=url)
    _poll(page, "document.readyState === 'complete' && location.href !== 'about:blank'", 30, f"load {url}")


# Ready: the expected names on the page (each asset title in an open group, maybe shortened when zoomed far out;
# each closed group's name), nothing still "Loading…", and the page unchanged over two polls (the layout is
# computed in a web worker, then the viewport zooms to fit, then each node fetches its status).
_GRAPH_READY = """
(() => {
  const text = document.body.innerText;
  const drawn = %s.every((name) => text.includes(name.slice(0, 8)));
  const ok = drawn && !/Loading/.test(text) && !!document.querySelector('svg');
  const signature = ok ? document.body.innerHTML.length + ':' + text : '';
  const stable = ok && window.__zdSignature === signature;
  window.__zdSignature = signature;
  return stable;
})()
"""


def _wait_for_graph(page: Any, expanded: list[str], timeout: float) -> None:
    from zd_pipeline.analytics import TABLES
    from zd_pipeline.catalogue import STREAMS

    assets = {"zendesk": list(STREAMS), "analytics": [t.name for t in TABLES]}
    names = [name for group in GROUPS for name in (assets[group] if group in expanded else [group])]
    _poll(page, _GRAPH_READY % json.dumps(names), timeout, "draw the lineage graph", interval=1.5)


def _hide_explorer_sidebar(page: Any) -> None:
    """Click the button right of the explorer's "Jump to…" box, which hides the sidebar (not persisted by the UI)."""
    found = page(
        "Runtime.evaluate",
        returnByValue=True,
        expression="""
        (() => {
          const input = [...document.querySelectorAll('input')].find((i) => i.placeholder.startsWith('Jump to'));
          if (!input) return null;
          const box = input.getBoundingClientRect();
          const right = [...document.querySelectorAll('button')]
            .map((b) => b.getBoundingClientRect())
            .filter((r) => r.left >= box.right && Math.abs(r.top + r.height / 2 - (box.top + box.height / 2)) < 8)
            .sort((a, b) => a.left - b.left)[0];
          return right ? [right.left + right.width / 2, right.top + right.height / 2] : null;
        })()
        """,
    )["result"].get("value")
    if found:
        x, y = found
        for kind in ("mousePressed", "mouseReleased"):
            page("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)


def _poll(page: Any, expression: str, timeout: float, what: str, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = page("Runtime.evaluate", expression=expression, returnByValue=True)["result"]
        if result.get("value") is True:
            return
        time.sleep(interval)
    raise TimeoutError(f"Chromium did not {what} within {timeout:g} s")


class _DevTools:
    """Headless Chromium driven over ``--remote-debugging-pipe`` (the child reads fd 3 and writes fd 4)."""

    def __init__(self, chromium: str, profile: str, width: int) -> None:
        self.command = [
            chromium,
            "--headless",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            f"--window-size={width},1000",
            "about:blank",
        ]
        if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox (containers, CI)
            self.command.insert(1, "--no-sandbox")
        self.next_id = 0
        self.buffer = b""

    def __enter__(self) -> _DevTools:
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def wire_fds() -> None:  # runs in the child: put the pipe ends where Chromium expects them
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)  # copies above 10 first: no end is clobbered
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)  # dup2 clears close-on-exec, so only fds 3 and 4 survive the exec
            os.dup2(high_w, 4)

        self.proc = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,  # Python's own fds are close-on-exec anyway; 3 and 4 must stay open
            preexec_fn=wire_fds,
            start_new_session=True,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        return self

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and return its result; events arriving meanwhile are dropped."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self.to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"Chromium {method}: {reply['error']}")
                return reply.get("result", {})

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe (did it start? try running it by hand)")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.to_child)
        os.close(self.from_child)


if __name__ == "__main__":
    sys.exit(main())
