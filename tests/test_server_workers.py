"""`serve --workers 2`: two processes over one index. A real server on a loopback port, started
as users start it; writes from the two workers meet at the index's lock (one waits for the
other), and every answer after a commit, from whichever worker, sees it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from live_server import free_port  # noqa: E402

NEW = [
    {"title": "Zorbal Quay", "text": "Zorbal Quay is a harbour on the Amberline Sea, founded in 1901 by the engineer Mira Tonn."},
    {"title": "Mira Tonn", "text": "Mira Tonn was an engineer born in Velmora in 1862. She designed the breakwater of Zorbal Quay."},
]


@pytest.fixture
def server(demo_index_path: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    index_dir = tmp_path / "demo"
    shutil.copytree(demo_index_path, index_dir)
    port = free_port()
    command = [sys.executable, "-c", "from hipporag_like.cli import run; run()", "serve", "--index", str(index_dir),
               "--port", str(port), "--workers", "2"]
    env = {k: v for k, v in os.environ.items() if k != "HIPPORAG_LIKE_API_KEY"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {proc.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
            time.sleep(0.2)
        yield base, index_dir
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _fresh(method: str, url: str, **kwargs) -> httpx.Response:
    """One request on a new connection, so that the kernel may hand it to either worker."""
    with httpx.Client(timeout=120) as client:
        return client.request(method, url, **kwargs)


def _counts_everywhere(base: str, times: int = 12) -> set[int]:
    return {_fresh("GET", f"{base}/stats").json()["passages"] for _ in range(times)}


def test_two_workers_share_writes_and_every_answer_sees_the_last_commit(server: tuple[str, Path]) -> None:
    base, index_dir = server
    (before,) = _counts_everywhere(base)
    answers: list[httpx.Response] = []

    def insert(passage: dict) -> None:
        answers.append(_fresh("POST", f"{base}/passages", json={"passages": [passage]}))

    writers = [threading.Thread(target=insert, args=(p,)) for p in NEW]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]  # the second waited, no 409
    assert _counts_everywhere(base) == {before + 2}

    added = {a.json()["added"][0] for a in answers}
    for _ in range(6):
        found = _fresh("POST", f"{base}/query", json={"query": "Who designed the breakwater of Zorbal Quay?", "k": 3}).json()
        assert {p["id"] for p in found["passages"]} & added

    gone = sorted(added)[0]
    assert _fresh("DELETE", f"{base}/passages/{gone}").status_code == 200
    assert _counts_everywhere(base) == {before + 1}
    assert (index_dir / "CURRENT").read_text().strip() == _fresh("GET", f"{base}/healthz").json()["version"]
