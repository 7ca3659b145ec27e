"""Every spec in tests/corpus/broken is refused with a located message, exit code 1 and no
traceback. Each file states what it expects in its leading comments::

    # expect: LINE KEY: TEXT

meaning some reported problem is on LINE (1-based; ``-`` for "no line"), names KEY (``-``
for none) and contains TEXT.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main

CORPUS = Path(__file__).parent.parent / "corpus" / "broken"
EXPECT = re.compile(r"^# expect: (?P<line>\d+|-) (?P<key>\S+): (?P<text>.+)$")


def expectations(path: Path) -> list[dict]:
    found = []
    for line in path.read_text("utf-8").splitlines():
        m = EXPECT.match(line)
        if m:
            found.append(m.groupdict())
    return found


def cases() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*.yaml"))


def test_corpus_is_not_empty():
    assert len(cases()) >= 20, "the broken-spec corpus should cover every kind of mistake"


@pytest.mark.parametrize("path", cases(), ids=lambda p: p.stem)
def test_broken_spec_is_refused_with_located_message(path: Path):
    wanted = expectations(path)
    assert wanted, f"{path.name} has no '# expect:' line"
    result = CliRunner().invoke(main, ["validate", str(path)])
    output = result.output
    assert result.exit_code == 1, f"exit code {result.exit_code} for {path.name}:\n{output}"
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert lines[-1].endswith("the spec is not valid"), output
    for want in wanted:
        matches = [l for l in lines if want["text"] in l
                   and (want["line"] == "-" or f"{path}:{want['line']}:" in l)
                   and (want["key"] == "-" or f": {want['key']}: " in l)]
        assert matches, f"{path.name}: no problem on line {want['line']} at {want['key']} " \
                        f"containing {want['text']!r}; got:\n{output}"
