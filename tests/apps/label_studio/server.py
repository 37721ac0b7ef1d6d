"""Start a real Label Studio (from PyPI, SQLite, no browser) on a free port of 127.0.0.1: the tests of this folder
and benchmarks/labelling_loop.py use it.

Label Studio lives in its own virtual environment (its pins clash with unetkit's: Django, opencv-python):
`make label-studio` makes .venv-label-studio (label-studio 1.23.2, sentry-sdk<3), and UNETKIT_LABEL_STUDIO
names another `label-studio` executable. Started with its version check and Sentry off (a machine without
PyPI's JSON API hangs on the check), a user and a legacy API token made for the run, and its SSRF guard's default
subnets off (it refuses a model URL on 127.0.0.0/8 otherwise); its first start creates the database (about a
minute)."""
from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parents[3]
EXECUTABLE = Path(os.environ.get("UNETKIT_LABEL_STUDIO", REPOSITORY / ".venv-label-studio" / "bin" / "label-studio"))
TOKEN = "unetkit-test-token-0123456789"
USER, PASSWORD = "test@unetkit.example", "unetkit-test-1"
START_SECONDS = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LabelStudioServer:
    """A started Label Studio: its address, token, process and log; `api` calls its REST API."""

    def __init__(self, url: str, token: str, process: subprocess.Popen, log: Path, started_in: float):
        self.url, self.token, self.process, self.log, self.started_in = url, token, process, log, started_in
        self.client = httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=300)

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_label_studio(home: Path, extra_environment: dict[str, str] | None = None) -> LabelStudioServer:
    """Label Studio with its data in `home`, answering /health; a RuntimeError with its log's tail otherwise."""
    port = free_port()
    environment = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(home), "LATEST_VERSION_CHECK": "false",
                   "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "", "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
                   "DJANGO_DB": "sqlite", "USE_DEFAULT_BANNED_SUBNETS": "false",
                   "LABEL_STUDIO_HOST": f"http://127.0.0.1:{port}", **(extra_environment or {})}
    log = home / "label_studio.log"
    started = time.perf_counter()
    process = subprocess.Popen([str(EXECUTABLE), "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port),
                                "--username", USER, "--password", PASSWORD, "--user-token", TOKEN], env=environment,
                               stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=home)
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - started < START_SECONDS:
        if process.poll() is not None:
            raise RuntimeError(f"Label Studio stopped (exit {process.returncode}): {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return LabelStudioServer(url, TOKEN, process, log, time.perf_counter() - started)
        except httpx.HTTPError:
            pass
        time.sleep(1)
    process.kill()
    raise RuntimeError(f"Label Studio did not answer within {START_SECONDS} s: {log.read_text()[-2000:]}")


def start_backend(backend):
    """unetkit's backend app served by uvicorn in a thread on a free port: (its URL, stop)."""
    import threading

    import uvicorn

    from unetkit.apps.label_studio.backend import create_backend_app
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_backend_app(backend), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("the backend did not start")

    def stop():
        server.should_exit = True
        thread.join(10)
    return f"http://127.0.0.1:{port}", stop
