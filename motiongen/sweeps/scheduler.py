"""ASHA that remembers the rungs across a resumed sweep.

Ray Tune's experiment snapshot holds the trials and the search algorithm, not the scheduler:
``Tuner.restore`` continues with the scheduler pickled when the sweep started, whose rungs are
empty. After a kill, a resumed trial would then be compared with no earlier trial (the first to
reach a rung is never stopped), and a trial ASHA stopped just before the kill, whose stop was not in
the last snapshot yet, would train to the end.

:class:`ResumableASHA` rebuilds its rungs before its first decision in a run: it replays the
reports of the trials Tune restored (their ``reports.jsonl``, in the order they were made) through
ASHA's own rule, and stops at its next report a restored, unfinished trial that the replay stops.
Only reports made before the run began are replayed; in a new sweep there are none.
"""

from __future__ import annotations

import time
from pathlib import Path

from ray.tune.schedulers import ASHAScheduler, TrialScheduler

from motiongen.sweeps.trial import read_reports


class ResumableASHA(ASHAScheduler):
    """``ASHAScheduler`` (same arguments) with rungs rebuilt from the trials' reports on resume."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._start_run()

    def _start_run(self) -> None:
        # reports made before this moment come from an earlier run of the sweep
        self._run_started = time.time()
        self._known: dict = {}
        self._replayed = False
        self._stop_at_next_report: set[str] = set()

    def __setstate__(self, state: dict) -> None:
        # Tuner.restore unpickles the scheduler as it was when the sweep started: a new run begins
        self.__dict__.update(state)
        self._start_run()

    def on_trial_add(self, tune_controller, trial) -> None:
        super().on_trial_add(tune_controller, trial)
        if not self._replayed:
            self._known[trial.trial_id] = trial

    def _replay(self) -> None:
        """Feed every report of the trials known so far to ASHA, oldest first (once per run)."""
        if self._replayed:
            return
        self._replayed = True
        reports = [(report["time"], trial, report) for trial in self._known.values()
                   for report in read_reports(Path(trial.path)) if report["time"] < self._run_started]
        for _, trial, report in sorted(reports, key=lambda item: item[0]):
            decision = super().on_trial_result(None, trial, report)
            if decision == TrialScheduler.STOP and not trial.is_finished():
                self._stop_at_next_report.add(trial.trial_id)
        self._known.clear()

    def on_trial_result(self, tune_controller, trial, result: dict) -> str:
        self._replay()
        if trial.trial_id in self._stop_at_next_report:
            self._stop_at_next_report.discard(trial.trial_id)
            return TrialScheduler.STOP
        return super().on_trial_result(tune_controller, trial, result)

    def on_trial_complete(self, tune_controller, trial, result: dict) -> None:
        self._replay()
        self._stop_at_next_report.discard(trial.trial_id)
        super().on_trial_complete(tune_controller, trial, result)
