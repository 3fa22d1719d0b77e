"""Rate limits count over a sliding period, not fixed windows that a client could straddle."""
from datetime import datetime, timedelta, timezone

import pytest

from kbgen.api import deps
from kbgen.api.settings import Rate


@pytest.fixture
def clock(monkeypatch):
    """The API's clock, set by the test: 10 s before a minute ends."""
    now = [datetime(2026, 12, 1, 9, 59, 50, tzinfo=timezone.utc)]
    monkeypatch.setattr(deps, "utcnow", lambda: now[0])
    return now


def sign_in(client):
    return client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "a wrong guess"})


def test_a_burst_across_a_windows_end_is_still_one_burst(api_app, api_client, clock):
    api_app.state.kb.settings = api_app.state.kb.settings.with_overrides(rates={"signin": Rate(3, 60)})
    before = [sign_in(api_client).status_code for _ in range(3)]
    clock[0] += timedelta(seconds=15)     # a new minute has begun: fixed windows would allow 3 more
    after = sign_in(api_client)
    assert before == [401, 401, 401] and after.status_code == 429
    # the earlier three fade out as the period slides on: one may go 20 s after the first minute ended
    assert 1 <= int(after.headers["Retry-After"]) <= 60
    clock[0] += timedelta(seconds=int(after.headers["Retry-After"]))
    assert sign_in(api_client).status_code == 401


@pytest.mark.parametrize("now_in_window, previous, current, estimate", [
    (0, 10, 0, 10), (30, 10, 0, 5), (59, 10, 0, 1), (30, 10, 4, 9), (15, 0, 2, 2), (45, 3, 0, 1),
])
def test_the_estimate_weighs_the_previous_window_by_the_share_still_in_the_period(now_in_window, previous, current,
                                                                                  estimate):
    assert deps._estimate(Rate(10, 60), 6000 + now_in_window, previous, current) == estimate


def test_retry_after_is_when_one_more_event_fits():
    rate = Rate(10, 60)
    wait = deps._retry_after(rate, 6000 + 30, 10, 10)          # full now, and full before
    assert deps._estimate(rate, 6030 + wait, 10, 0) < 10 and deps._estimate(rate, 6030 + wait - 1, 10, 0) >= 10
