"""The wire format between the grader and its worker: JSON headers and raw ``.npy`` arrays.

A message is ``MAGIC``, the header's length (4 bytes, big-endian), the JSON header, then
each array as ``.npy`` bytes, in order. Arrays inside the JSON are replaced by
``{"$array": i}``. Arrays are read back with ``allow_pickle=False`` and only numeric and
boolean dtypes are accepted, so no message can carry code or objects: never pickle.
"""

from __future__ import annotations

import io
import json
import os
import struct
from typing import Any

import numpy as np

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
            buffer = io.BytesIO()
            np.save(buffer, value, allow_pickle=False)
            arrays.append(buffer.getvalue())
            return {"$array": len(arrays) - 1}
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


def decode_array(data: bytes) -> np.ndarray:
    """One ``.npy`` payload as an array, refusing pickles and non-numeric dtypes."""
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as e:  # malformed bytes, object arrays (need pickle), ...
        raise ProtocolError(f"an array could not be read: {e}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in _KINDS:
        raise ProtocolError(f"an array of dtype {getattr(array, 'dtype', type(array))} is not allowed")
    return array


def read_exact(fd: int, count: int) -> bytes:
    """Exactly ``count`` bytes from ``fd`` (blocking); ProtocolError at end of file."""
    chunks, left = [], count
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
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
    arrays = [decode_array(read(n)) for n in sizes]
    return _restore(body, arrays)


def _restore(value: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$array"}:
            index = value["$array"]
            if not isinstance(index, int) or not 0 <= index < len(arrays):
                raise ProtocolError("a message refers to an array it does not carry")
            return arrays[index]
        return {k: _restore(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, arrays) for v in value]
    return value


def write_message(fd: int, message: Any) -> None:
    """Encode and write one message to ``fd``."""
    data = memoryview(encode(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]
