"""The worker protocol carries data only: arrays as raw bytes of a plain dtype, never pickles."""

from __future__ import annotations

import os

import numpy as np
import pytest

from grader.sandbox.protocol import MAGIC, PREFIX, ProtocolError, encode, read_message, write_message


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
    blob = b"".join(arrays)
    return MAGIC + PREFIX.pack(len(header), len(blob)) + header + blob


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
        header = b'{"x": {"$array": 0, "dtype": "%s", "shape": [2]}}' % dtype.encode()
        with pytest.raises(ProtocolError):
            feed(frame(header, payload))
    with pytest.raises(ProtocolError):
        encode({"x": np.array([{"evil": 1}], dtype=object)})


@pytest.mark.parametrize("data", [
    b"XXXX\x00\x00\x00\x02{}",
    frame(b"not json"),
    frame(b'{"x": {"$array": 3, "dtype": "<f8", "shape": []}}'),
    frame(b'{"x": {"$array": -8, "dtype": "<f8", "shape": []}}', b"\x00" * 8),
    frame(b'{"x": {"$array": true, "dtype": "<f8", "shape": []}}', b"\x00" * 9),
    frame(b'{"x": {"$array": 0, "dtype": "<f8", "shape": [-1]}}', b"\x00" * 8),
    frame(b'{"x": {"$array": 0, "dtype": "<f8", "shape": [3]}}', b"\x00" * 8),
    frame(b'{"x": {"$array": 0, "dtype": "<f8", "shape": 3}}', b"\x00" * 8),
    frame(b"[" * 20000 + b"]" * 20000),
    frame(b'{"x": {"$array": 0, "dtype": "<f8", "shape": [Infinity]}}', b"\x00" * 8),
    frame(b'{"x": {"$array": 0, "dtype": "<f8", "shape": [1.0]}}', b"\x00" * 8),
    frame(b'{"x": {"$array": 0, "dtype": "<f8", "shape": "1"}}', b"\x00" * 8),
    frame(b'{"x": {"$array": 0, "dtype": "<f8", "shape": [0, ' + b", ".join([b"9" * 40] * 40) + b"]}}"),
    frame(b'{"x": {"$array": 0, "dtype": "<f8", "shape": [' + b", ".join([b"1"] * 33) + b"]}}", b"\x00" * 8),
    MAGIC + PREFIX.pack(10, 0) + b"{}",
    MAGIC + PREFIX.pack(2, 1 << 40) + b"{}",
    MAGIC + b"\x00\x00",
    b"",
], ids=["magic", "json", "missing array", "negative offset", "offset not a number", "negative shape",
        "size mismatch", "shape not a list", "too deep", "infinite dimension", "float dimension",
        "shape a string", "huge dimensions", "too many dimensions", "truncated header", "impossible size", "truncated",
        "empty"])
def test_malformed_messages_are_refused(data):
    with pytest.raises(ProtocolError):
        feed(data)


def test_complex_arrays_are_refused():
    payload = np.array([1j]).tobytes()
    with pytest.raises(ProtocolError):
        feed(frame(b'{"x": {"$array": 0, "dtype": "<c16", "shape": [1]}}', payload))


def test_encode_is_deterministic():
    message = {"a": np.ones(3), "b": [1, 2.5, "x"]}
    assert encode(message) == encode(message)


def test_empty_arrays_and_numpy_scalars_survive():
    back = roundtrip({"e": np.zeros((0, 3)), "i": np.int64(4), "f": np.float32(0.5), "b": np.bool_(True),
                      "t": (1, 2)})
    assert back["e"].shape == (0, 3) and back["i"] == 4 and back["f"] == 0.5 and back["b"] is True
    assert back["t"] == [1, 2]


def test_decoded_arrays_are_writable_copies():
    back = roundtrip({"a": np.arange(2.0), "b": np.array(1.0)})
    back["a"][1] = 7.0
    assert back["b"] == 1.0 and back["a"].flags.writeable and back["a"].flags.owndata


def test_arrays_may_not_reuse_the_bytes_of_a_message():
    """Each reference to the same bytes would be a copy: a small forged reply could make the
    grader allocate without bound."""
    refs = b",".join(b'"a%d": {"$array": 0, "dtype": "<f8", "shape": [1]}' % i for i in range(3))
    with pytest.raises(ProtocolError):
        feed(frame(b"{" + refs + b"}", np.arange(1.0).tobytes()))


def test_a_long_double_is_sent_as_a_float():
    assert roundtrip({"x": np.longdouble(0.5)}) == {"x": 0.5}


def test_what_is_not_data_cannot_be_sent():
    with pytest.raises(TypeError):
        encode({"f": open})
