"""What student code prints, kept per request: the first few KiB of each (so a test can show
what its own calls printed), the first ``output_kb`` in all, and the rest read and dropped,
so the worker never blocks on a full pipe.

The worker writes a marker with the request's id into the stream before it runs the request;
what follows, up to the next marker, belongs to that request. A marker counts only if its id
has been issued and comes after the current one, so student code that prints markers itself
can at most move its own prints to a later test, and never makes the grader keep more than
a few KiB per request actually sent.
"""

from __future__ import annotations

import re

MARK = re.compile(rb"\x00bpgrader-request (\d+)\x00")
LONGEST_MARK = 40
PER_REQUEST = 2048


def marker(request_id: int) -> bytes:
    return b"\x00bpgrader-request %d\x00" % request_id


class Capture:
    """Feed it the output stream in chunks; ask for all of it, or for some requests' share."""

    def __init__(self, total_bytes: int, per_request: int = PER_REQUEST):
        self.limit, self.per_request = total_bytes, per_request
        self.all = bytearray()
        self.cut = False
        self.parts: dict[int | None, bytearray] = {}
        self.part_cut: set[int | None] = set()
        self.current: int | None = None  # before the first request: what importing printed
        self.issued = 0  # the highest request id sent so far (set by the sandbox)
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        data, start = self._tail + chunk, 0
        for match in MARK.finditer(data):
            found = int(match.group(1))
            if found > self.issued or (self.current is not None and found <= self.current):
                continue  # not a marker the worker wrote: the bytes stay as output
            self._keep(data[start:match.start()])
            self.current, start = found, match.end()
        rest = data[start:]
        partial = rest.rfind(b"\x00")  # a marker may be cut in two by the read
        if partial != -1 and len(rest) - partial < LONGEST_MARK:
            self._keep(rest[:partial])
            self._tail = rest[partial:]
        else:
            self._keep(rest)
            self._tail = b""

    def close(self) -> None:
        self._keep(self._tail)
        self._tail = b""

    def _keep(self, data: bytes) -> None:
        if not data:
            return
        room = self.limit - len(self.all)
        self.all += data[:max(room, 0)]
        self.cut |= len(data) > room
        part = self.parts.setdefault(self.current, bytearray())
        room = self.per_request - len(part)
        part += data[:max(room, 0)]
        if len(data) > room:
            self.part_cut.add(self.current)

    def text(self) -> str:
        """Everything kept, with a note if it was cut."""
        note = f"\n[output cut at {self.limit // 1024} KiB]" if self.cut else ""
        return bytes(self.all).decode("utf-8", "replace") + note

    def of(self, request_ids: list[int]) -> str:
        """What the calls of these requests printed (the first few KiB of each)."""
        text = b"".join(bytes(self.parts.get(i, b"")) for i in request_ids).decode("utf-8", "replace")
        if any(i in self.part_cut for i in request_ids):
            text += f"\n[cut after {self.per_request // 1024} KiB]"
        return text
