"""A run over several submissions where one hangs and one crashes still grades the others
correctly, each costing no more than its own time limit."""

from __future__ import annotations

import re
import time
from pathlib import Path

from grader.grading.grade import grade_submission

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text()
CLEAN = re.sub(r"[ \t]*# (BEGIN|END) SOLUTION.*\n", "", SOLUTION)


def submission(folder: Path, source: str) -> Path:
    folder.mkdir()
    (folder / "nodes.py").write_text(source)
    return folder


def test_hanging_and_crashing_submissions_do_not_stop_the_others(tmp_path):
    hang = CLEAN.replace("class Add:", "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                       "while True:\n    pass\n\n\nclass Add:")
    crash = CLEAN.replace("class Add:", "import os\nos._exit(1)\n\n\nclass Add:")
    batch = {"good-1": CLEAN, "hangs": hang, "crashes": crash, "good-2": CLEAN}
    scores, times = {}, {}
    for name, source in batch.items():
        start = time.monotonic()
        results = grade_submission(ROOT / "assignments" / "scalar-graphs", submission(tmp_path / name, source))
        times[name] = time.monotonic() - start
        scores[name] = (results.score, results.max_score, results.output)
    assert scores["good-1"][0] == scores["good-1"][1] == scores["good-2"][0]
    assert scores["hangs"][0] == 0 and "time limit" in scores["hangs"][2]
    assert scores["crashes"][0] == 0 and "crashed" in scores["crashes"][2]
    assert times["hangs"] < 30 and times["crashes"] < 10, times
