"""A gunicorn worker stopped with SIGTERM (a deploy, a restart) still records the clicks
it acknowledged: the Procfile's `web` line, its `gunicorn.conf.py` hook, a real server."""

from __future__ import annotations

import importlib
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest

from bot.db import make_engine, make_session_factory
from tests.conftest import ADMIN, TEST_SECRET_KEY
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.slack_requests import SIGNING_SECRET
from tests.nudge_helpers import answers

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def acks() -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module("bench_acks")


def test_sigterm_lets_the_worker_finish_the_clicks_it_acknowledged(acks, tmp_path):
    with FakeSlack() as fake:
        url = f"sqlite:///{tmp_path}/web.db"
        nudges = acks.seed(fake, url, 4)
        environ = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": url,
            "ADMIN_USER_IDS": ADMIN,
            "SECRET_KEY": TEST_SECRET_KEY,
        }
        # Each message update takes a while: at SIGTERM, two clicks per worker are
        # still being recorded or are waiting for an after-ack thread.
        fake.slow("chat.update", 1.0, times=len(nudges))
        with acks.serve("ours", acks.OUR_APP, environ, tmp_path / "web.log") as server:
            with ThreadPoolExecutor(max_workers=len(nudges)) as pool:
                replies = list(pool.map(lambda n: acks.post(server.port, *acks.done_body(fake, n)), nudges))
            assert all(status == 200 for _seconds, status in replies)
            server.process.send_signal(signal.SIGTERM)
            assert server.process.wait(timeout=25) == 0

        log = (tmp_path / "web.log").read_text()
        assert "unfinished" not in log
        updated = {call.args["ts"] for call in fake.calls_to("chat.update")}
        assert updated == {n["ts"] for n in nudges}
        engine = make_engine(url)
        recorded = answers(make_session_factory(engine))
        engine.dispose()
        assert [answer.answer for answer in recorded] == ["done"] * len(nudges)
