"""The load benchmark's pure helpers (bench/load.py): reading wrk's output, the CPU accounting,
the medians and what held a phase back, and the check of wrk's POSTs. No server, no wrk: the
benchmark's figures are printed by ``make load``, never asserted here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import load  # bench/ is not a package: on the path above
from load import Run

WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:40000
  2 threads and 16 connections
  11222 requests in 2.00s, 1.65MB read
Requests/sec:   5611.00
SASWRK {"duration_us": 2000000, "requests": 11222, "bytes": 1728340, "sent": 11239, \
"recorded": 11200, "p50_us": 4236, "p99_us": 11801, "max_us": 32190, "errors": {"connect": 0, \
"read": 1, "write": 0, "status": 22, "timeout": 2}, "statuses": {"200": 11200, "422": 22}}
"""


def run(rate: float = 100.0, **fields: float) -> Run:
    """A run of 10 s at ``rate`` with the given CPU seconds (over a 10 s wall)."""
    values = {"server_cpu": 5.0, "wrk_cpu": 1.0, "idle": 4.0} | fields
    values.setdefault("server_cpu_all", values["server_cpu"])
    return Run(
        route="GET x",
        requests=int(rate * 10),
        seconds=10.0,
        p50_ms=10.0,
        p99_ms=50.0,
        statuses={200: int(rate * 10)},
        errors={},
        sent=int(rate * 10),
        wall=10.0,
        **values,
    )


def test_parse_wrk_reads_the_scripts_line():
    parsed = load.parse_wrk(WRK_OUTPUT, "GET bare Flask")
    assert parsed.route == "GET bare Flask"
    assert parsed.requests == 11222
    assert parsed.rate == pytest.approx(5611.0)
    assert (parsed.p50_ms, parsed.p99_ms) == (pytest.approx(4.236), pytest.approx(11.801))
    assert parsed.statuses == {200: 11200, 422: 22}
    assert (parsed.sent, parsed.recorded) == (11239, 11200)
    assert parsed.unanswered == 3  # read and timeout errors; a 422 is an answer


def test_parse_wrk_without_the_line_says_so():
    with pytest.raises(RuntimeError, match="no SASWRK line"):
        load.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused", "GET x")


def test_server_cpu_is_cpu_ms_per_request_and_cores_over_the_wall():
    r = run(rate=200.0, server_cpu=8.0)
    assert r.cpu_ms == pytest.approx(4.0)  # 8 s of CPU over 2,000 requests
    assert r.cores(r.server_cpu) == pytest.approx(0.8)
    # 16 requests still in flight when wrk stopped: the server served them too
    r.sent, r.server_cpu_all = 2016, 8.064
    assert r.cpu_ms == pytest.approx(4.0)


def test_cpu_seconds_and_machine_idle_read_proc():
    own = load.cpu_seconds([os.getpid()])
    sum(i * i for i in range(300_000))  # spend a little CPU
    assert load.cpu_seconds([os.getpid()]) >= own
    assert load.cpu_seconds([2**22 + 7]) == 0  # a process gone: nothing, no error
    assert load.machine_idle() >= 0


@pytest.mark.parametrize(
    ("wrk", "server", "idle", "others", "bound"),
    [
        (1.8, 0.2, 0.0, 0.0, "client"),  # both wrk threads on a full core
        (0.6, 0.5, 0.9, 0.0, "client"),  # wrk takes more CPU than the server it measures
        (0.1, 1.9, 0.0, 0.0, "server CPU"),
        (0.1, 0.4, 0.0, 1.5, "server CPU, shared"),  # other processes took the rest
        (0.1, 0.4, 1.5, 0.0, "server waits"),  # a lock, the database: idle cores left
    ],
)
def test_bottleneck(wrk, server, idle, others, bound):
    assert load.bottleneck(wrk, server, idle, threads=2, others=others) == bound


def test_figures_are_medians_and_the_share_is_paired_round_by_round():
    bares = [run(1000.0), run(2000.0), run(1500.0)]
    routes = [run(100.0), run(400.0), run(150.0)]  # 10%, 20%, 10% of their own bare run
    f = load.figures("GET x", routes, bares, threads=2, cores=2)
    assert f.rate == 150.0
    assert f.share == pytest.approx(0.10)
    assert f.server_cores == pytest.approx(0.5)
    assert f.others_cores == pytest.approx(2 - 0.4 - 0.5 - 0.1)
    assert f.statuses == {200: 6500}
    assert f.bound == "server waits"


def test_share_text_says_when_the_client_held_a_rate_back():
    bare = load.figures("bare", [run(1000.0)], [run(1000.0)], threads=2, cores=2)
    route = load.figures("GET x", [run(100.0)], [run(1000.0)], threads=2, cores=2)
    client_bound = load.figures("GET x", [run(100.0, wrk_cpu=19.0)], [run(1000.0)], 2, 2)
    bare_bound = load.figures("bare", [run(1000.0, wrk_cpu=19.0)], [run(1000.0)], 2, 2)
    assert load.share_text(bare, bare) == "100%"
    assert load.share_text(route, bare) == "10.0%"
    assert load.share_text(client_bound, bare) == ">= 10.0% (client-bound)"
    assert load.share_text(route, bare_bound) == "<= 10.0% (bare client-bound)"


def posted(recorded: int, requests: int, sent: int) -> Run:
    r = run()
    r.tag, r.recorded, r.requests, r.sent = "ab" * 8, recorded, requests, sent
    return r


def keys(n: int, tag: str = "ab" * 8) -> dict[str, list[tuple[str, int]]]:
    return {f"{tag}{i:016x}": [("35100000", i)] for i in range(n)}


def test_wrk_posts_check_allows_only_posts_in_flight_beyond_the_confirmed():
    # 100 confirmed, 4 written but unanswered when wrk stopped: 100 to 104 entries are right
    assert load.wrk_posts_check([posted(100, 100, 104)], keys(103))[1]
    assert not load.wrk_posts_check([posted(100, 100, 104)], keys(99))[1]  # one lost
    assert not load.wrk_posts_check([posted(100, 100, 104)], keys(105))[1]  # one from nowhere
    doubled = keys(100) | {"ab" * 8 + "f" * 16: [("35100000", 1), ("35100000", 2)]}
    assert not load.wrk_posts_check([posted(100, 100, 104)], doubled)[1]


def test_each_target_is_found_by_its_route():
    assert load.wanted("GET / (anonymous)") == 0.60
    assert load.wanted("GET district report (1,000 schools)") == 0.20
    assert load.wanted("POST contribution, 16 writers on one school") == 0.08
    assert load.wanted("POST contribution, 16 writers over 20 schools") == 0.15
    assert load.wanted("GET bare Flask") is None
