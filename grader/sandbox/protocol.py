"""The wire format between the grader and its worker: a JSON header and raw array bytes.

A message is ``MAGIC``, the header's length (4 bytes, big-endian), the JSON header, then the
bytes of each array (C order), back to back. In the JSON, an array is replaced by
``{"$array": i, "dtype": "<f8", "shape": [2, 3]}``; it is rebuilt with ``np.frombuffer``
after checking that the dtype is a plain number or boolean type and that the byte count
matches the shape. Nothing is ever unpickled, so no message can carry code or objects.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

import numpy as np

# bound at import, before any student code runs: replacing os.read or os.write does not
# reach the worker's channel
_read, _write = os.read, os.write

MAGIC = b"BPG1"
MAX_HEADER = 16 << 20
MAX_ARRAY = 512 << 20
_KINDS = "biuf"  # bool, int, unsigned, float


class ProtocolError(Exception):
    """A message that is malformed, truncated, or carries something other than data."""


def encode(message: Any) -> bytes:
    """The bytes of one message (a JSON-able structure that may hold numpy arrays)."""
    arrays: list[bytes] = []

    def strip(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in _KINDS or value.dtype.hasobject:
                raise ProtocolError(f"an array of dtype {value.dtype} cannot be sent")
            arrays.append(np.ascontiguousarray(value).tobytes())
            return {"$array": len(arrays) - 1, "dtype": value.dtype.str, "shape": list(value.shape)}
        if isinstance(value, dict):
            return {str(k): strip(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        if isinstance(value, (np.integer, np.floating, np.bool_)):
            return value.item()
        return value

    header = json.dumps({"body": strip(message), "arrays": [len(a) for a in arrays]},
                        allow_nan=True).encode("utf-8")
    return b"".join([MAGIC, struct.pack(">I", len(header)), header, *arrays])


def decode_array(data: bytes, dtype: Any, shape: Any) -> np.ndarray:
    """Raw bytes as an array of ``dtype`` and ``shape``, refusing anything but numbers."""
    try:
        dt = np.dtype(str(dtype))
        shape = tuple(int(n) for n in shape)
    except (TypeError, ValueError) as e:
        raise ProtocolError(f"an array's dtype or shape is not valid: {e}") from None
    if dt.kind not in _KINDS or dt.hasobject or dt.fields is not None or dt.subdtype is not None:
        raise ProtocolError(f"an array of dtype {dt} is not allowed")
    if any(n < 0 for n in shape) or int(np.prod(shape, dtype=np.int64)) * dt.itemsize != len(data):
        raise ProtocolError("an array's byte count does not match its shape")
    return np.frombuffer(data, dtype=dt).reshape(shape).copy()


def read_exact(fd: int, count: int) -> bytes:
    """Exactly ``count`` bytes from ``fd`` (blocking); ProtocolError at end of file."""
    chunks, left = [], count
    while left:
        chunk = _read(fd, min(left, 1 << 20))
        if not chunk:
            raise ProtocolError("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int) -> Any:
    """Read and decode one message from ``fd`` (blocking)."""
    return receive(lambda n: read_exact(fd, n))


def receive(read) -> Any:
    """Decode one message, taking its bytes from ``read(count)``."""
    head = read(8)
    if head[:4] != MAGIC:
        raise ProtocolError("a message does not start with the protocol's magic bytes")
    (size,) = struct.unpack(">I", head[4:])
    if size > MAX_HEADER:
        raise ProtocolError(f"a message header of {size} bytes is too large")
    try:
        header = json.loads(read(size).decode("utf-8"))
        sizes = [int(n) for n in header["arrays"]]
        body = header["body"]
    except (ValueError, KeyError, TypeError) as e:
        raise ProtocolError(f"a message header is not valid: {e}") from None
    if any(n < 0 or n > MAX_ARRAY for n in sizes):
        raise ProtocolError("a message announces an array of impossible size")
    blob = read(sum(sizes)) if sizes else b""
    offsets = np.cumsum([0] + sizes).tolist()
    payloads = [blob[offsets[i]:offsets[i + 1]] for i in range(len(sizes))]
    return _restore(body, payloads)


def _restore(value: Any, payloads: list[bytes]) -> Any:
    if isinstance(value, dict):
        if "$array" in value:
            index = value["$array"]
            if not isinstance(index, int) or not 0 <= index < len(payloads):
                raise ProtocolError("a message refers to an array it does not carry")
            return decode_array(payloads[index], value.get("dtype"), value.get("shape", ()))
        return {k: _restore(v, payloads) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, payloads) for v in value]
    return value


def write_message(fd: int, message: Any) -> None:
    """Encode and write one message to ``fd``."""
    data = memoryview(encode(message))
    while data:
        written = _write(fd, data)
        data = data[written:]


MAX_DIRECTIONS = 64


def directions(seed: int, count: int, shape: tuple[int, ...]) -> np.ndarray:
    """The random unit directions of a finite-difference plan, made from its seed on both
    sides: sending them would cost as much as the parameters themselves."""
    count = min(int(count), MAX_DIRECTIONS)
    v = np.random.default_rng(int(seed)).random((count, *shape)) - 0.5  # any random direction will do; uniform is cheap
    v /= np.linalg.norm(v.reshape(count, -1), axis=1).reshape(-1, *[1] * len(shape))
    return v


def calls_in(step: dict) -> int:
    """How many student calls one step of a ``run`` request makes (for time budgets)."""
    kind = step.get("do")
    if kind == "forward_many":
        count = 0
        for plan in step.get("perturb", []):
            count += 2 * (np.size(plan["steps"]) if "steps" in plan else int(plan.get("count", 1)))
        return max(1, count)
    if kind == "driver":
        return 2 * max(1, len(step.get("vars", []))) + 4
    return 1
