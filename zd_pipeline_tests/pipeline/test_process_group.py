"""The supervisor ``zd-pipeline dev`` runs ``dagster dev`` under: one stop signal leaves no process behind, even
one that ignores SIGINT or left the process group and session (real processes, real signals)."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from zd_pipeline.pipeline.commands import dev
from zd_pipeline.settings import Settings

# The supervised command: starts a grandchild that ignores SIGINT and one that ignores it in a session of its own,
# writes every pid it made, then waits to be stopped.
TREE = textwrap.dedent(
    """
    import os, signal, subprocess, sys, time
    stubborn = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(600)"
    kids = [subprocess.Popen([sys.executable, "-c", stubborn]),
            subprocess.Popen([sys.executable, "-c", stubborn], start_new_session=True)]
    with open(sys.argv[1] + ".tmp", "w") as out:
        out.write(" ".join(str(p) for p in [os.getpid(), *(k.pid for k in kids)]))
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    time.sleep(600)
    """
)
SUPERVISOR = (
    "import os, sys; from pathlib import Path; "
    "from zd_pipeline.pipeline.commands.process_group import run_in_process_group; "
    "argv = [sys.executable, '-c', sys.argv[1], sys.argv[2]]; "
    "sys.exit(run_in_process_group(argv, os.environ, Path.cwd(), interrupt_grace=0.5))"
)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_one_stop_signal_ends_every_process_the_command_started(tmp_path: Path, stop: signal.Signals) -> None:
    pids_file = tmp_path / "pids"
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, TREE, str(pids_file)], cwd=tmp_path, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while not pids_file.exists():
            assert supervisor.poll() is None and time.monotonic() < deadline, "the tree never started"
            time.sleep(0.05)
        started = [int(pid) for pid in pids_file.read_text().split()]
        assert all(_alive(pid) for pid in started)
        os.kill(supervisor.pid, stop)
        assert supervisor.wait(timeout=60) == 0
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
    assert [pid for pid in started if _alive(pid)] == []


def test_an_account_without_credentials_is_named_and_nothing_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zd_pipeline.cli import main

    for name in ("ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "ZENDESK_OAUTH_TOKEN", "ZENDESK_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "acme")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert main(["dev"]) == 2
    assert "ZENDESK_EMAIL and ZENDESK_API_TOKEN" in capsys.readouterr().err
    assert not (tmp_path / "home").exists()


def test_the_configured_account_is_described_without_its_secret() -> None:
    settings = Settings(subdomain="acme", email="agent@acme.test", api_token="s3cret-token", requests_per_minute=30)
    described = dev.describe_account(settings)
    assert "https://acme.zendesk.com" in described and "agent@acme.test" in described and "30 requests" in described
    assert "s3cret-token" not in described
    oauth = dev.describe_account(Settings(base_url="http://127.0.0.1:8765", oauth_token="s3cret-oauth"))
    assert "http://127.0.0.1:8765 (ZENDESK_BASE_URL)" in oauth and "s3cret-oauth" not in oauth


def test_dotenv_is_read_as_dagster_dev_reads_it(tmp_path: Path) -> None:
    assert dev.dotenv_of(tmp_path) == {}
    (tmp_path / ".env").write_text("ZENDESK_SUBDOMAIN=acme\nZENDESK_EMAIL=agent@acme.test\nEMPTY\n")
    assert dev.dotenv_of(tmp_path) == {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "agent@acme.test"}


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"
