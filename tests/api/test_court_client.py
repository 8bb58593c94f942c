"""The reference court client paces its polls, backs off when idle or failing, and keeps its key off argv.

No real sleeping: the puller's sleep advances a fake clock and records each pause.
"""

from __future__ import annotations

import json

import httpx
import pytest

from app.cli import build_parser
from app.feed.client import FeedError, Puller, plain_http_warning, read_key
from tests.support import case_body, login


class Stop(Exception):
    pass


class FakeTime:
    """A clock that only the puller's sleeps move; stops the run after ``limit`` pauses."""

    def __init__(self, limit: int = 8) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []
        self.limit = limit

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds
        if len(self.pauses) >= self.limit:
            raise Stop


def puller(client, tmp_path, fake: FakeTime, **kw) -> Puller:
    kw = {"wait": 0, "min_interval": 1.0, "max_backoff": 30.0, **kw}
    return Puller(
        client,
        kw.pop("key", "k"),
        tmp_path / "state.json",
        tmp_path / "out.jsonl",
        log=lambda _: None,
        sleep=fake.sleep,
        clock=fake.clock,
        jitter=lambda: 0.5,  # the middle: no jitter
        **kw,
    )


def fake_server(pages):
    """A transport answering /feed with ``pages`` in turn (the last one forever); counts the polls."""
    polls = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/ack"):
            return httpx.Response(204)
        polls.append(request)
        page = pages[min(len(polls), len(pages)) - 1]
        return page if isinstance(page, httpx.Response) else httpx.Response(200, json=page)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle), base_url="http://testserver")
    return client, polls


EMPTY_MORE = {"items": [], "next_cursor": "c1", "has_more": True}
ITEM = {"id": 1, "type": "case.dispatched", "case": {}}


async def test_has_more_with_no_items_backs_off_and_once_stops(tmp_path):
    client, polls = fake_server([EMPTY_MORE])
    fake = FakeTime()
    with pytest.raises(Stop):
        await puller(client, tmp_path, fake).run()
    assert len(polls) == len(fake.pauses) == 8  # one pause before every next poll
    assert fake.pauses == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]

    client, polls = fake_server([EMPTY_MORE])
    assert await puller(client, tmp_path, FakeTime()).run(once=True) == 0
    assert len(polls) == 1


async def test_errors_back_off_with_jitter_and_retry_after(tmp_path):
    busy = httpx.Response(503, headers={"Retry-After": "7"})
    client, polls = fake_server([httpx.Response(502), httpx.Response(502), busy, httpx.Response(500)])
    fake = FakeTime(limit=6)
    jitters = iter([0.0, 0.99, 0.0, 0.0, 0.0, 0.0])
    p = puller(client, tmp_path, fake)
    p.jitter = lambda: next(jitters)
    with pytest.raises(Stop):
        await p.run()
    # base 1, 2, 4, 8, 16, 30, jittered by x0.5..x1.5, floored at the minimum interval; 503 waits 7 s at least
    assert fake.pauses == pytest.approx([1.0, 2.0 * 1.49, 7.0, 4.0, 8.0, 15.0])
    assert len(polls) == 6
    client, _ = fake_server([httpx.Response(403, json={"code": "scope_required"})])
    with pytest.raises(FeedError):
        await puller(client, tmp_path, FakeTime()).run()


async def test_polls_are_paced_but_a_backlog_is_fetched_at_once(tmp_path):
    full = {"items": [ITEM], "next_cursor": "c1", "has_more": True}
    last = {"items": [{**ITEM, "id": 2}], "next_cursor": "c2", "has_more": False}
    after_long_poll = {"items": [], "next_cursor": "c2", "has_more": False}
    client, polls = fake_server([full, last, after_long_poll])
    fake = FakeTime(limit=3)
    with pytest.raises(Stop):
        await puller(client, tmp_path, fake, wait=20).run()
    # The rest of the backlog without a pause; then the minimum interval; empty pages that came back before
    # the long poll was over (a server shutting down answers at once) back off.
    assert fake.pauses == [1.0, 1.0, 2.0]
    assert len(polls) == 4
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == [1, 2]


async def test_wait_zero_against_the_app_never_polls_in_a_tight_loop(client, world, tmp_path):
    polls = []

    async def hook(request):
        if request.url.path == "/api/v1/feed":
            polls.append(request)

    client.event_hooks = {"request": [hook], "response": []}
    r = await client.post(
        "/api/v1/cases",
        json=case_body(litigation_intended=True),
        headers=await login(client, world, "lc_v01"),
    )
    assert r.status_code == 201
    fake = FakeTime(limit=6)
    with pytest.raises(Stop):
        await puller(client, tmp_path, fake, key=world.court_key).run()
    assert len(polls) == len(fake.pauses) == 6
    assert all(p >= 1.0 for p in fake.pauses)
    assert fake.pauses[-3:] == sorted(fake.pauses[-3:]) and fake.pauses[-1] > fake.pauses[-3]


def test_the_key_comes_from_a_file_or_the_environment(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("jf_live_secret\n")
    key_file.chmod(0o600)
    assert read_key(str(key_file), None, {}) == ("jf_live_secret", [])
    assert read_key(None, None, {"JIEFEN_API_KEY": "jf_env"}) == ("jf_env", [])
    key, warnings = read_key(None, "jf_argv", {})
    assert key == "jf_argv" and "deprecated" in warnings[0]
    key_file.chmod(0o644)
    assert "readable by other users" in read_key(str(key_file), None, {})[1][0]
    with pytest.raises(FeedError):
        read_key(None, None, {})
    args = build_parser().parse_args(
        ["court", "pull", "--url", "https://x", "--key-file", str(key_file), "--state", "s", "--out", "o"]
    )
    assert args.key_file == str(key_file) and args.key is None


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://10.2.3.4:8000", True),
        ("http://jiefen.example.cn", True),
        ("https://jiefen.example.cn", False),
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("http://[::1]:8000", False),
    ],
)
def test_plain_http_to_another_host_is_warned(url, warned):
    assert (plain_http_warning(url) is not None) is warned
