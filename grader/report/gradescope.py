"""Gradescope's ``results.json``: built from Results, checked against a JSON Schema of the
format before it is written, and written atomically (a temporary file, then a rename), so a
half-written or invalid file never reaches Gradescope. Every string in it is ``printable``:
no terminal escapes or control characters from student code."""

from __future__ import annotations

import json
import math
import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from grader.report.results import Results
from grader.report.text import printable_json


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(resources.files("grader.report").joinpath("gradescope.schema.json").read_text("utf-8"))


def validation_errors(data: Any) -> list[str]:
    """Why ``data`` is not a valid results.json (empty when it is), by jsonschema: for tests
    and tools, where its import time does not matter."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in validator.iter_errors(data)]


def quick_errors(data: Any) -> list[str]:
    """The same check without importing jsonschema: run on every results.json written."""
    from grader.report import minischema
    return minischema.errors(data, schema())


def to_gradescope(results: Results, output_format: str = "text") -> dict[str, Any]:
    """The results.json object of ``results``, its texts plain or in Markdown (``markdown``)."""
    from grader.report import markdown

    md = output_format == "md"
    tests = []
    for t in results.tests:
        text = markdown.test_output(t) if md else (t.output or ("All cases passed." if t.passed else "")) \
            + (f"\n\nYour code printed:\n{t.printed}" if t.printed else "")
        test = {"name": t.name, "number": t.number, "score": json_number(t.score), "max_score": json_number(t.max_score),
                "status": "passed" if t.passed else "failed", "visibility": t.visibility,
                "output": text, "output_format": output_format, "tags": list(t.tags),
                "extra_data": {"passed_cases": t.passed_cases, "total_cases": t.total_cases,
                               **({"not_run_cases": t.not_run_cases} if t.not_run_cases else {})}}
        tests.append(test)
    data: dict[str, Any] = {
        "score": json_number(results.score),
        "execution_time": json_number(round(results.execution_time, 3)),
        "output": markdown.summary(results) if md else results.output or _headline(results),
        "output_format": output_format,
        "stdout_visibility": "hidden",
        "extra_data": {"status": "graded", "seed": results.seed, "assignment": results.assignment, **results.extra,
                       **({"notes": results.notes} if results.notes else {})},
        "tests": tests,
    }
    return printable_json(data)


def _headline(results: Results) -> str:
    head, later = results.headline()
    return f"{head} ({later})." if later else f"{head}."


def write_results(results: Results, path: str | Path, output_format: str = "md") -> dict[str, Any]:
    """Validate and atomically write results.json (its texts in Markdown unless
    ``output_format`` is "text"); an invalid object (a bug of ours) is replaced by a valid one
    that says so, so Gradescope always has something to show."""
    data = to_gradescope(results, output_format)
    errors = quick_errors(data)
    if errors:
        data = failure_results(f"The grader produced invalid results ({errors[0]}); "
                               "please tell your instructor.", results.assignment)
    write_json_atomic(data, Path(path))
    return data


GRADER_FAULT = ("The autograder could not grade this submission because of a problem on its side, "
                "not in your code. No score was given. Please tell your instructor.")


def write_grader_fault(path: str | Path, cause: str, assignment: str = "") -> dict[str, Any]:
    """Write (and return) the results.json of a grading the grader itself failed at."""
    return write_failure(GRADER_FAULT, path, assignment, cause)


def write_failure(message: str, path: str | Path, assignment: str = "", cause: str | None = None) -> dict[str, Any]:
    """Write (and return) the results.json of a grading that could not happen at all."""
    data = failure_results(message, assignment, cause)
    write_json_atomic(data, Path(path))
    return data


def failure_results(message: str, assignment: str = "", cause: str | None = None) -> dict[str, Any]:
    """A valid results.json for when grading could not happen (a broken spec, or a failure of
    the grader itself): a visible message and no tests, so nothing pretends to grade the
    student's code; ``extra_data.status`` is ``error``, so batch reruns grade it again."""
    return printable_json({"output": message, "output_format": "text", "stdout_visibility": "hidden", "tests": [],
                           "extra_data": {"assignment": assignment, "status": "error", "error": cause or message}})


def is_error(data: dict[str, Any]) -> bool:
    """Whether a results.json records a grading that did not happen."""
    extra = data.get("extra_data")
    return not isinstance(extra, dict) or extra.get("status") != "graded" or "tests" not in data


def write_json_atomic(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            # one string, one write: json.dump writes each token on its own, 70,000 calls a file
            f.write(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def json_number(x: float) -> float:
    """JSON has no NaN or inf; a score is a finite number, ints stay ints."""
    if not math.isfinite(x):
        return 0.0
    return int(x) if float(x).is_integer() else round(float(x), 6)
