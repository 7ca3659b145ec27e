"""The worker protocol carries data only: arrays as .npy without pickles, and nothing else."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

from grader.sandbox.protocol import MAGIC, ProtocolError, encode, read_message, write_message


def roundtrip(message):
    r, w = os.pipe()
    try:
        write_message(w, message)
        os.close(w)
        return read_message(r)
    finally:
        os.close(r)


def test_arrays_and_json_survive_a_round_trip():
    message = {"op": "run", "steps": [{"inputs": [np.arange(6.0).reshape(2, 3), np.array(3.5),
                                                  np.array([1, 2], dtype=np.int64)], "none": None}]}
    back = roundtrip(message)
    a, b, c = back["steps"][0]["inputs"]
    assert a.shape == (2, 3) and b.shape == () and b == 3.5 and c.dtype == np.int64
    assert back["steps"][0]["none"] is None


def test_non_contiguous_and_nan_values_survive():
    x = np.arange(12.0).reshape(3, 4)[:, ::2]
    back = roundtrip({"x": x, "n": np.array([np.nan, np.inf])})
    assert np.array_equal(back["x"], x)
    assert np.isnan(back["n"][0]) and np.isinf(back["n"][1])


def frame(header: bytes, *arrays: bytes) -> bytes:
    return MAGIC + struct.pack(">I", len(header)) + header + b"".join(arrays)


def feed(data: bytes):
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)
    try:
        return read_message(r)
    finally:
        os.close(r)


def test_object_and_pickle_dtypes_are_refused():
    payload = b"\x80\x04" + b"x" * 14
    for dtype in ("|O", "O", "V16", "[('a', '<f8')]", "not a dtype"):
        header = b'{"body": {"$array": 0, "dtype": "%s", "shape": [2]}, "arrays": [%d]}' % (dtype.encode(), len(payload))
        with pytest.raises(ProtocolError):
            feed(frame(header, payload))
    with pytest.raises(ProtocolError):
        encode({"x": np.array([{"evil": 1}], dtype=object)})


@pytest.mark.parametrize("data", [
    b"XXXX\x00\x00\x00\x02{}",
    frame(b"not json"),
    frame(b'{"body": {"$array": 3}, "arrays": []}'),
    frame(b'{"body": 1, "arrays": [-5]}'),
    frame(b'{"body": {"$array": 0, "dtype": "<f8", "shape": [3]}, "arrays": [8]}', b"\x00" * 8),
    MAGIC + b"\x00\x00",
    b"",
], ids=["magic", "json", "missing array", "negative size", "size mismatch", "truncated", "empty"])
def test_malformed_messages_are_refused(data):
    with pytest.raises(ProtocolError):
        feed(data)


def test_complex_arrays_are_refused():
    payload = np.array([1j]).tobytes()
    with pytest.raises(ProtocolError):
        feed(frame(b'{"body": {"$array": 0, "dtype": "<c16", "shape": [1]}, "arrays": [%d]}' % len(payload), payload))


def test_encode_is_deterministic():
    message = {"a": np.ones(3), "b": [1, 2.5, "x"]}
    assert encode(message) == encode(message)
