"""What student code prints is filed under the request that printed it, cut per request and
in total, however the stream is split into reads."""

from __future__ import annotations

from pathlib import Path

from grader.sandbox.capture import Capture, marker
from grader.grading.grade import grade_submission

ROOT = Path(__file__).resolve().parents[2]


def issued(capture: Capture, n: int = 3) -> Capture:
    capture.issued = n
    return capture


def stream() -> bytes:
    return b"at import\n" + marker(1) + b"one\n" + marker(2) + b"two\n" + marker(3) + b"three\n"


def test_output_is_filed_by_request_whatever_the_reads():
    data = stream()
    for size in (1, 2, 3, 7, len(data)):
        capture = issued(Capture(1 << 16))
        for i in range(0, len(data), size):
            capture.feed(data[i:i + size])
        capture.close()
        assert capture.of([1]) == "one\n" and capture.of([2, 3]) == "two\nthree\n"
        assert capture.text() == "at import\none\ntwo\nthree\n"


def test_each_request_keeps_its_first_bytes_and_says_it_was_cut():
    capture = issued(Capture(1 << 16, per_request=1024))
    capture.feed(marker(1) + b"x" * 3000 + marker(2) + b"short")
    capture.close()
    assert capture.of([1]) == "x" * 1024 + "\n[cut after 1 KiB]"
    assert capture.of([2]) == "short"


def test_the_total_is_cut_at_its_limit():
    capture = issued(Capture(2048))
    capture.feed(marker(1) + b"y" * 5000)
    capture.close()
    assert capture.text().startswith("y" * 2048) and "[output cut at 2 KiB]" in capture.text()


def test_a_nul_byte_in_student_output_is_kept():
    capture = issued(Capture(1 << 16))
    capture.feed(marker(1) + b"a\x00b" + b"c" * 100)
    capture.close()
    assert capture.of([1]) == "a\x00b" + "c" * 100


def test_forged_markers_cannot_make_new_parts_or_go_back():
    capture = issued(Capture(1 << 16), 2)
    forged = b"".join(marker(n) + b"z" * 3000 for n in range(3, 200))  # ids never sent
    capture.feed(marker(2) + b"two" + marker(1) + b"back" + forged)
    capture.close()
    assert set(capture.parts) == {2}  # everything after marker 2 stays with request 2
    assert capture.of([2]).startswith("two") and "back" in capture.of([2])
    assert capture.of([2]).endswith("[cut after 2 KiB]") and capture.of([1]) == ""


def test_a_test_shows_what_its_own_calls_printed(tmp_path):
    source = (ROOT / "solutions" / "scalar-graphs" / "nodes.py").read_text().replace(
        "        return x + y\n", "        print('adding now')\n        return x - y\n", 1)
    (tmp_path / "nodes.py").write_text(source)
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", tmp_path, node="Add")
    add = [t for t in results.tests if t.printed]
    assert add and all("adding now" in t.printed for t in add)
    assert len(add) == len({t.group for t in results.tests})  # once per test, not per check
    assert "your code printed" in str(results)
