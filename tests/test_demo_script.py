"""bin/demo: it says what to install when Python cannot make a virtual environment, refuses a busy
port, says it runs only once the web app serves, and Ctrl+C stops everything it started, promptly.

The tests that start the demo use the project's .venv (bin/demo and bin/test make it) and run on
SQLite and the filesystem broker in a temporary VAR_DIR, as the demo does with no configuration."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "bin" / "demo"
STOP_SECONDS = 20  # Celery alone takes 3-9 s on two busy cores: it polls the filesystem broker

needs_venv = pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "python").exists(), reason="bin/demo needs the project's .venv (run bin/demo once)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SITE_URL", "DEBUG")}
    return {**keep, **extra}


class Demo:
    """bin/demo running in a session of its own, as a terminal runs it; its output is collected."""

    def __init__(self, script: Path, env: dict[str, str]):
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            ["bash", str(script)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output:
                return True
            if self.process.poll() is not None:
                time.sleep(0.5)  # let the reader take the last lines
                return text in self.output
            time.sleep(0.5)
        return False

    def ctrl_c(self) -> None:
        """What a terminal does on Ctrl+C: SIGINT to the foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)


def descendants(pid: int) -> dict[int, tuple[str, str]]:
    """Every process below `pid`, whatever session it moved to, with its start time (so a reused
    process id is not mistaken for one of them)."""
    children: dict[int, list[int]] = {}
    started: dict[int, tuple[str, str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_text().replace("\0", " ")[:120]
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            started[int(entry.name)] = (fields[19], command)
    found, todo = {}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = started[child]
            todo.append(child)
    return found


def still_running(processes: dict[int, tuple[str, str]]) -> list[str]:
    left = []
    for pid, (start, command) in processes.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # A zombie has exited already: Celery may leave a child of its main process for init to reap.
        if fields[19] == start and fields[0] != "Z":
            left.append(f"{pid} ({command}) state {fields[0]}, parent {fields[1]}")
    return left


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-var")


@needs_venv
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the demo's processes through /proc")
def test_ctrl_c_stops_the_web_app_and_the_worker_promptly_leaving_nothing_behind(var_dir):
    port = free_port()
    demo = Demo(DEMO, demo_env(PORT=str(port), VAR_DIR=str(var_dir), DEMO_PASSWORD="demo-pass"))
    try:
        assert demo.wait_for(f"The QMS is running at http://127.0.0.1:{port}/", timeout=600), demo.output
        assert demo.wait_for("celery@", timeout=60), demo.output
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).status == 200
        assert "the password is demo-pass" in demo.output
        started = descendants(demo.process.pid)
        assert len(started) >= 4, started  # gunicorn and its workers, Celery and its pool

        stop_sent = time.monotonic()
        demo.ctrl_c()
        returncode = demo.process.wait(timeout=60)
        took = time.monotonic() - stop_sent
    finally:
        demo.stop()

    print(f"bin/demo stopped in {took:.1f} s")
    assert still_running(started) == []
    assert returncode == 130
    assert took < STOP_SECONDS, demo.output
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))  # the port is free again
    assert "database is locked" not in demo.output


@needs_venv
def test_a_busy_port_stops_the_start_naming_port():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        demo = Demo(DEMO, demo_env(PORT=str(port)))
        returncode = demo.process.wait(timeout=60)
        time.sleep(0.2)

    assert returncode == 1
    assert f"port {port} is already in use (PORT={port})" in demo.output
    assert "Applying" not in demo.output and "running at" not in demo.output


@needs_venv
def test_the_start_fails_clearly_when_the_web_app_exits(var_dir):
    env = demo_env(PORT=str(free_port()), VAR_DIR=str(var_dir), GUNICORN_CMD_ARGS="--workers not-a-number")
    demo = Demo(DEMO, env)
    try:
        returncode = demo.process.wait(timeout=600)
    finally:
        demo.stop()
    time.sleep(0.2)

    assert returncode == 1
    assert "the web app (gunicorn) exited before it served a page" in demo.output
    assert "running at" not in demo.output


@pytest.fixture
def fresh_checkout(tmp_path):
    """bin/demo alone, where no .venv exists yet."""
    (tmp_path / "bin").mkdir()
    shutil.copy(DEMO, tmp_path / "bin" / "demo")
    return tmp_path / "bin" / "demo"


def test_without_the_venv_module_it_says_which_package_to_install(fresh_checkout, tmp_path):
    # Debian's python3 without python3-venv lacks ensurepip: shadow it so.
    shadow = tmp_path / "shadow" / "ensurepip"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named ensurepip')\n")

    result = subprocess.run(
        ["bash", str(fresh_checkout)],
        env=demo_env(PYTHONPATH=str(shadow.parent)),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f"sudo apt-get install python{version}-venv" in result.stderr
    assert not (tmp_path / ".venv").exists()


def test_an_old_python_is_refused_before_anything_is_installed(fresh_checkout, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "sitecustomize.py").write_text("import sys\nsys.version_info = (3, 10, 12, 'final', 0)\n")

    result = subprocess.run(
        ["bash", str(fresh_checkout)], env=demo_env(PYTHONPATH=str(old)), capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert "needs Python 3.11 or newer; python3 here is 3.10" in result.stderr
    assert not (tmp_path / ".venv").exists()
