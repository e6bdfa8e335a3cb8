"""The emulator kit's status progressions, polled by hand."""

from __future__ import annotations

from tether.sandbox.kit.progress import Phase, Progression, Schedule


def test_done_on_the_nth_poll_and_stays_done() -> None:
    job = Progression()
    assert [job.poll(3) for _ in range(5)] == [Phase.RUNNING] * 2 + [Phase.DONE] * 3
    assert job.polls == 5


def test_done_after_one_is_done_at_once() -> None:
    assert Progression().poll(1) is Phase.DONE


def test_a_failing_job_fails_when_it_would_be_done() -> None:
    job = Progression(fails=True)
    assert [job.poll(2) for _ in range(3)] == [Phase.RUNNING, Phase.FAILED, Phase.FAILED]


def test_polls_needed_are_read_at_each_poll() -> None:
    job = Progression()
    assert job.poll(3) is Phase.RUNNING
    assert job.poll(2) is Phase.DONE  # the tunable went down meanwhile


def test_schedule_fails_the_next_k_then_none() -> None:
    schedule = Schedule(done_after=2, fail_next=2)
    jobs = [Progression(fails=schedule.take_failure()) for _ in range(4)]
    assert [j.fails for j in jobs] == [True, True, False, False]
    assert schedule.fail_next == 0
    assert [schedule.poll(jobs[0]), schedule.poll(jobs[0])] == [Phase.RUNNING, Phase.FAILED]
    assert [schedule.poll(jobs[3]), schedule.poll(jobs[3])] == [Phase.RUNNING, Phase.DONE]
