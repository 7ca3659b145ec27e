"""The wire format between the grader and its worker: a JSON header and raw array bytes.

A message is ``MAGIC``, the header's length (4 bytes) and the arrays' (8 bytes), big-endian,
the JSON header, then the bytes of every array (C order), back to back. In the JSON, an array
is replaced by ``{"$array": offset, "dtype": "<f8", "shape": [2, 3]}``; it is rebuilt with
``np.frombuffer`` after checking that the dtype is a plain number or boolean type and that
the bytes its shape needs are there. Nothing is ever unpickled, so no message can carry code
or objects. Both directions go through the json module's C encoder and decoder (arrays by
its ``default`` and ``object_hook``): a grading sends thousands of small arrays, and walking
each message in Python cost more than the student's calls.
"""

from __future__ import annotations

import json
import math
import os
import struct
from typing import Any

import numpy as np

# bound at import, before any student code runs: replacing os.read or os.write does not
# reach the worker's channel
_read, _write = os.read, os.write

MAGIC = b"BPG2"
PREFIX = struct.Struct(">IQ")  # the header's length, the arrays' length
MAX_HEADER = 16 << 20
MAX_ARRAYS = 1 << 30
MAX_DIMS = 32  # numpy's own limit is 64; no array of a grading has more than a few
_KINDS = "biuf"  # bool, int, unsigned, float
_DTYPES: dict[str, np.dtype] = {}  # dtype strings seen and allowed


class ProtocolError(Exception):
    """A message that is malformed, truncated, or carries something other than data."""


def encode(message: Any) -> bytes:
    """The bytes of one message (a JSON-able structure that may hold numpy arrays)."""
    arrays: list[bytes] = []
    size = 0

    def array(value: Any) -> Any:
        nonlocal size
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in _KINDS or value.dtype.hasobject:
                raise ProtocolError(f"an array of dtype {value.dtype} cannot be sent")
            data = value.tobytes()  # C order, whatever the array's strides
            arrays.append(data)
            size += len(data)
            return {"$array": size - len(data), "dtype": value.dtype.str, "shape": list(value.shape)}
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)  # not .item(): a long double's is a long double again
        raise TypeError(f"a {type(value).__name__} cannot be sent")

    header = json.dumps(message, default=array, allow_nan=True, check_circular=False,
                        separators=(",", ":")).encode("utf-8")
    return b"".join([MAGIC, PREFIX.pack(len(header), size), header, *arrays])


def _dtype(name: Any) -> np.dtype:
    dt = _DTYPES.get(name) if isinstance(name, str) else None
    if dt is not None:
        return dt
    try:
        dt = np.dtype(str(name))
    except (TypeError, ValueError) as e:
        raise ProtocolError(f"an array's dtype is not valid: {e}") from None
    if dt.kind not in _KINDS or dt.hasobject or dt.fields is not None or dt.subdtype is not None:
        raise ProtocolError(f"an array of dtype {dt} is not allowed")
    if len(_DTYPES) < 64:
        _DTYPES[name] = dt
    return dt


def decode_array(blob: bytes, offset: Any, dtype: Any, shape: Any) -> np.ndarray:
    """The array of ``dtype`` and ``shape`` at ``offset`` in ``blob``, refusing anything but
    numbers and any bytes the message does not carry."""
    dt = _dtype(dtype)
    if not (isinstance(shape, list) and len(shape) <= MAX_DIMS
            and all(type(n) is int and 0 <= n <= MAX_ARRAYS for n in shape)):
        raise ProtocolError("an array's shape is not a short list of whole numbers in range")
    if type(offset) is not int or offset < 0:
        raise ProtocolError("an array's offset is negative or not a whole number")
    shape = tuple(shape)
    count = math.prod(shape)
    if offset + count * dt.itemsize > len(blob):
        raise ProtocolError("a message refers to array bytes it does not carry")
    if count == 0:
        return np.zeros(shape, dt)
    return np.frombuffer(blob, dtype=dt, count=count, offset=offset).reshape(shape).copy()


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
    head = read(4 + PREFIX.size)
    if head[:4] != MAGIC:
        raise ProtocolError("a message does not start with the protocol's magic bytes")
    size, blob_size = PREFIX.unpack(head[4:])
    if size > MAX_HEADER:
        raise ProtocolError(f"a message header of {size} bytes is too large")
    if blob_size > MAX_ARRAYS:
        raise ProtocolError(f"a message's {blob_size} bytes of arrays are too many")
    text = read(size)
    blob = read(blob_size) if blob_size else b""
    left = [len(blob)]  # arrays may not share bytes: what is decoded never exceeds what came

    def restore(value: dict) -> Any:
        if "$array" in value:
            array = decode_array(blob, value["$array"], value.get("dtype"), value.get("shape", []))
            left[0] -= array.nbytes
            if left[0] < 0:
                raise ProtocolError("a message's arrays reuse its bytes")
            return array
        return value

    try:
        return json.loads(text.decode("utf-8"), object_hook=restore)
    except ProtocolError:
        raise
    except Exception as e:  # whatever else a forged header makes json or numpy raise
        raise ProtocolError(f"a message header is not valid: {type(e).__name__}: {e}") from None


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
