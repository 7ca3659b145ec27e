"""The HTML the grader writes, rendered by a real browser: the class report of a small
``grade batch`` and a notebook's display of ``Results`` open in headless Chromium without a
console message, the browser's DOM holds every table, chart and text the generator wrote
(nothing swallowed by a malformed tag), and a screenshot shows them (not a blank page: the
charts' bars and the marks' colours are there).

Skipped where no Chromium is installed (on Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from grader.grading.grade import grade_submission

from assignment_helpers import ROOT

BROWSER = next((found for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
                if (found := shutil.which(name))), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium here (Debian: apt-get install chromium)")

STRUCTURE = ("table", "tr", "th", "td", "svg", "g", "rect", "text", "h1", "h2", "h3", "p", "pre", "details", "span")
WINDOW = (900, 700)


@dataclass
class Rendered:
    dom: str                 # the DOM after loading, as Chromium serializes it
    console: list[str]       # every console message the page caused
    pixels: np.ndarray       # the screenshot, (height, width, channels)


def render(page: Path, scratch: Path) -> Rendered:
    """Load ``page`` in headless Chromium twice at once: once to dump its DOM, once for a
    screenshot; each with its own fresh profile and console logging on stderr."""
    shot = scratch / f"{page.stem}.png"
    runs = []
    for mode in ("--dump-dom", f"--screenshot={shot}"):
        profile = scratch / f"profile-{page.stem}-{len(runs)}"
        runs.append(subprocess.Popen(
            [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
             "--enable-logging=stderr", "--v=0", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
             f"--window-size={WINDOW[0]},{WINDOW[1]}", mode, page.resolve().as_uri()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    try:
        outputs = [run.communicate(timeout=60) for run in runs]
    finally:
        for run in runs:  # a browser that hangs is ended, not left behind
            if run.poll() is None:
                run.kill()
                run.wait()
    for run, (_, err) in zip(runs, outputs):
        assert run.returncode == 0, err.decode(errors="replace")[-2000:]
    console = [line for _, err in outputs for line in err.decode(errors="replace").splitlines()
               if ":CONSOLE" in line or "Uncaught" in line]
    return Rendered(outputs[0][0].decode("utf-8"), console, png_pixels(shot))


def png_pixels(path: Path) -> np.ndarray:
    """The pixels of an 8-bit RGB or RGBA PNG, not interlaced (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data[pos + 8:pos + 8 + length])
        elif kind == b"IDAT":
            chunks.append(data[pos + 8:pos + 8 + length])
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unexpected PNG format {header}"
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks)), width * bpp
    rows, prior = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):  # undo the row's filter (PNG spec, section 9)
            a, b, c = (line[i - bpp] if i >= bpp else 0), prior[i], (prior[i - bpp] if i >= bpp else 0)
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif kind == 4:
                p = a + b - c
                line[i] = (line[i] + (a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c)
                                      else b if abs(p - b) <= abs(p - c) else c)) & 255
        rows.append(bytes(line))
        prior = line
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(height, width, bpp)[:, :, :3]


class Page(HTMLParser):
    """How many elements of each structural kind a page has, and its texts."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: Counter = Counter()
        self.texts: list[str] = []
        self.attributes: list[dict[str, str]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag in STRUCTURE:
            self.tags[tag] += 1
        self.attributes.append(dict(attrs))

    def handle_data(self, data):
        if data.strip():
            self.texts.append(data.strip())

    @property
    def text(self) -> str:
        return " ".join(self.texts)


def shows(pixels: np.ndarray, match) -> bool:
    """Whether any pixel satisfies ``match(r, g, b)`` (arrays of the channels)."""
    r, g, b = (pixels[:, :, k].astype(int) for k in range(3))
    return bool(np.any(match(r, g, b)))


def check_rendering(source: str, rendered: Rendered) -> Page:
    """What holds for any page of ours: no console message, the same structure in the
    browser's DOM as in the source, and a screenshot that is not one colour. Returns the DOM."""
    assert not rendered.console, "\n".join(rendered.console)
    wrote, dom = Page(source), Page(rendered.dom)
    assert dom.tags == wrote.tags, "the browser's DOM differs from the HTML written (a malformed tag?)"
    colours = np.unique(rendered.pixels.reshape(-1, 3) @ np.array([65536, 256, 1]))
    assert len(colours) > 8, "the screenshot is blank"
    assert shows(rendered.pixels, lambda r, g, b: (r < 90) & (g < 90) & (b < 90)), "no dark text in the screenshot"
    return dom


def test_the_class_report_renders(small_batch, tmp_path):
    page = small_batch / "report.html"
    source = page.read_text("utf-8")
    rendered = render(page, tmp_path)
    dom = check_rendering(source, rendered)
    for text in ("scalar-graphs: 2 submissions", "2 graded", "Scores", "Pass rate per node and check",
                 "Misconceptions per node", "Grading time", "right", "wrong"):
        assert text in dom.text, text
    bins = [a for a in dom.attributes if "data-bin" in a]
    assert len(bins) == 10 and sum(int(a["data-count"]) for a in bins) == 2
    rates = [a for a in dom.attributes if "data-check" in a]
    assert rates and dom.tags["svg"] == 1 + len(rates)  # the histogram, and a bar per node and check
    assert {a["data-node"] for a in rates} >= {"Add", "Exp", "Max"}
    assert shows(rendered.pixels, lambda r, g, b: (r == 0x3b) & (g == 0x6e) & (b == 0xa8)), "no chart bar is drawn"


def test_the_notebook_display_renders(small_batch, tmp_path):
    results = grade_submission(ROOT / "assignments" / "scalar-graphs", small_batch.parent / "class" / "wrong")
    fragment = results._repr_html_()
    page = tmp_path / "notebook.html"  # as a notebook shows it: inside a page of its own, in UTF-8
    page.write_text(f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>notebook</title></head>'
                    f"<body>\n{fragment}\n</body></html>\n", "utf-8")
    rendered = render(page, tmp_path)
    dom = check_rendering(page.read_text("utf-8"), rendered)
    nodes = [a["data-node"] for a in dom.attributes if "data-node" in a]
    assert nodes == [*dict.fromkeys(t.node or "graphs" for t in results.tests)]
    rows = [a for a in dom.attributes if "data-passed" in a]
    assert {a["data-test"] for a in rows if a["data-passed"] == "false"} == {
        t.group for t in results.tests if not t.passed}
    assert "✓ passed" in dom.text and "✗ failed" in dom.text
    diagnosis = next(t.output for t in results.tests if t.node == "Add" and not t.passed).splitlines()[0]
    assert diagnosis in dom.text
    assert f"{results.assignment}: " in dom.text
    assert shows(rendered.pixels, lambda r, g, b: (r > 140) & (g < 90) & (b < 90)), "no red ✗ failed mark"
    assert shows(rendered.pixels, lambda r, g, b: (g > 100) & (r < 80) & (b < 110) & (g > r + 40)), "no green ✓ mark"
