"""A real server answers while `assistent ingest` runs in another process: no errors, and the
new document is found after the ingest commits, without restarting the server.

Before the generation stamp and the Chroma retry, the first filtered question after such
an ingest gave HTTP 500 (chromadb "Error finding id") and the new document stayed invisible.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import ingest_paths
from tests.conftest import ROOT
from tests.ingest.test_store import DOC_A, DOC_B, write
from tests.utils import free_port, stop

pytestmark = pytest.mark.slow
#: The installed console script, as an operator runs it.
ASSISTENT = str(Path(sys.executable).parent / "assistent")


def test_server_sees_cli_ingest_without_restart_and_never_fails(tmp_path, settings, embedder):
    write(tmp_path / "first", "a.txt", DOC_A)
    assert ingest_paths([tmp_path / "first"], settings, progress=False).ok
    env = dict(os.environ, ASSISTENT_DATA_DIR=str(settings.data_dir), ASSISTENT_MODEL_CACHE=str(settings.models_dir))
    port = free_port()
    log_path = tmp_path / "server.log"
    server_log = log_path.open("w")
    server = subprocess.Popen(
        [ASSISTENT, "serve", "--port", str(port)],
        env=env, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    statuses: list[int] = []
    stop_asking = threading.Event()
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            deadline = time.monotonic() + 120
            while True:
                if server.poll() is not None:
                    pytest.fail("servern avslutades vid start: " + log_path.read_text()[-2000:])
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "servern svarade inte inom 120 s"
                time.sleep(0.3)

            def ask_all_the_time() -> None:
                with httpx.Client(base_url=base, timeout=60) as c:
                    while not stop_asking.is_set():
                        # a filter makes Chroma look ids up: the query that failed on a stale index
                        r = c.get("/api/search", params={"q": "öppettider biblioteket", "dokumenttyp": "ovrigt"})
                        statuses.append(r.status_code)
                        r = c.post("/api/ask", json={"question": "Vad beslutade nämnden om biblioteket?"})
                        statuses.append(r.status_code)

            asker = threading.Thread(target=ask_all_the_time)
            asker.start()
            write(tmp_path / "second", "b.txt", DOC_B)
            ingest = subprocess.run(
                [ASSISTENT, "ingest", "-q", str(tmp_path / "second")],
                env=env, cwd=ROOT, capture_output=True, text=True, timeout=300,
            )
            assert ingest.returncode == 0, ingest.stderr
            time.sleep(1.0)  # a few more questions after the commit
            stop_asking.set()
            asker.join(timeout=120)

            found = http.get("/api/search", params={"q": "öppettider biblioteket", "dokumenttyp": "ovrigt"}).json()
            assert [p["fil"] for p in found["passages"]][:1] == ["b.txt"]
            health = http.get("/healthz")
            assert health.json()["documents"] == 2
            assert "server" not in health.headers  # `assistent serve` sends no uvicorn banner
        assert statuses and set(statuses) == {200}, statuses
    finally:
        stop_asking.set()
        stop(server)
        server_log.close()
    log = log_path.read_text()
    assert "GET /api/search?…" in log  # the access log has the path ...
    assert "biblioteket" not in log and "ppettider" not in log  # ... never the search words
