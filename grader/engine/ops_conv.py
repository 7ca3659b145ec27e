"""Convolution and pooling over images: conv2d, max_pool2d, avg_pool2d.

Inputs are (N, C, H, W). Every op sees its input as windows: a strided view of shape
(N, C, H', W', kh, kw) holding the kh × kw patch under each output pixel (im2col without the
copy), so the forward passes are one einsum or one reduction, with no Python loop over pixels.
The VJPs "fold" a cotangent per window entry back onto the image: one strided slice-add per
kernel offset (kh · kw of them), which adds up the overlaps of windows when stride < size.
Outputs are H' = 1 + (H + 2·pad − kh) // stride rows (likewise for W'): rows and columns a
window would only partly cover are left out, as in torch.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from grader.engine.registry import Branch, defop


def _pair(value, what: str, least: int) -> tuple[int, int]:
    """An int or a pair of ints (rows, columns), each at least ``least``."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    whole = [v for v in pair if isinstance(v, (int, float, np.integer, np.floating))
             and float(v).is_integer() and v >= least]
    if len(pair) != 2 or len(whole) != 2:
        raise ValueError(f"{what} must be a whole number >= {least} or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_image(x, kernel, stride, pad, op: str) -> None:
    if np.ndim(x) != 4:
        raise ValueError(f"{op} takes images of shape (N, C, H, W), got shape {np.shape(x)}")
    for axis, name in ((0, "height"), (1, "width")):
        room = x.shape[2 + axis] + 2 * pad[axis]
        if kernel[axis] > room:
            raise ValueError(f"{op}: the window's {name} {kernel[axis]} is larger than the "
                             f"{'padded ' if pad[axis] else ''}image's {room}")


def _windows(x, kernel, stride):
    """(N, C, H', W', kh, kw): the window under each output pixel, a view of ``x``."""
    return sliding_window_view(x, kernel, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]


def _fold(per_entry, shape, stride):
    """Add each window entry's value (N, C, H', W', kh, kw) onto the image of ``shape`` it
    came from: the transpose of ``_windows``."""
    out = np.zeros(shape)
    rows, cols = per_entry.shape[2:4]
    for i in range(per_entry.shape[4]):
        for j in range(per_entry.shape[5]):
            out[:, :, i:i + stride[0] * rows:stride[0], j:j + stride[1] * cols:stride[1]] += per_entry[:, :, :, :, i, j]
    return out


def _padded(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))


def _conv_args(x, w, stride, pad):
    stride, pad = _pair(stride, "stride", 1), _pair(pad, "pad", 0)
    if np.ndim(w) != 4:
        raise ValueError(f"conv2d takes filters of shape (F, C, HH, WW), got shape {np.shape(w)}")
    _check_image(x, w.shape[2:], stride, pad, "conv2d")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"conv2d: the images have {x.shape[1]} channels, the filters {w.shape[1]}")
    return stride, pad


def _conv(x, w, stride, pad):
    cols = _windows(_padded(x, pad), w.shape[2:], stride)
    return np.einsum("nchwij,fcij->nfhw", cols, w, optimize=True)


@defop("conv2d", 2, params={"stride": 1, "pad": 0})
class Conv2d:
    """cross-correlation of x (N, C, H, W) with filters w (F, C, HH, WW), zero padding, no
    bias: (N, F, H', W'); stride and pad are ints or (rows, columns) pairs"""
    def forward(x, w, stride=1, pad=0):
        return _conv(x, w, *_conv_args(x, w, stride, pad))
    def vjp(g, out, x, w, stride=1, pad=0):
        stride, pad = _conv_args(x, w, stride, pad)
        xp = _padded(x, pad)
        gw = np.einsum("nchwij,nfhw->fcij", _windows(xp, w.shape[2:], stride), g, optimize=True)
        gxp = _fold(np.einsum("nfhw,fcij->nchwij", g, w, optimize=True), xp.shape, stride)
        return gxp[:, :, pad[0]:pad[0] + x.shape[2], pad[1]:pad[1] + x.shape[3]], gw
    def jvp(ts, out, x, w, stride=1, pad=0):
        stride, pad = _conv_args(x, w, stride, pad)
        return _conv(ts[0], w, stride, pad) + _conv(x, ts[1], stride, pad)


def _pool_args(x, size, stride, op: str):
    kernel = _pair(size, "size", 1)
    stride = kernel if stride is None else _pair(stride, "stride", 1)
    _check_image(x, kernel, stride, (0, 0), op)
    return kernel, stride


def _first_max(x, kernel, stride):
    """1 at the first maximum of each window (row by row), 0 elsewhere: (N, C, H', W', kh, kw)."""
    windows = _windows(x, kernel, stride)
    flat = windows.reshape(windows.shape[:4] + (-1,))
    first = np.argmax(flat, axis=-1)[..., np.newaxis] == np.arange(flat.shape[-1])
    return first.reshape(windows.shape).astype(np.float64)


@defop("max_pool2d", 1, params={"size": 2, "stride": None})
class MaxPool2d:
    """maximum over each size window (an int or a pair) of x (N, C, H, W), stride the size
    by default; of tied maxima only the first (row by row) gets the gradient, as in torch"""
    def forward(x, size=2, stride=None):
        kernel, stride = _pool_args(x, size, stride, "max_pool2d")
        return np.max(_windows(x, kernel, stride), axis=(-2, -1))
    def vjp(g, out, x, size=2, stride=None):
        kernel, stride = _pool_args(x, size, stride, "max_pool2d")
        return (_fold(_first_max(x, kernel, stride) * g[..., np.newaxis, np.newaxis], x.shape, stride),)
    def jvp(ts, out, x, size=2, stride=None):
        kernel, stride = _pool_args(x, size, stride, "max_pool2d")
        return np.sum(_windows(ts[0], kernel, stride) * _first_max(x, kernel, stride), axis=(-2, -1))
    def branches(names, x, size=2, stride=None):
        kernel, stride = _pool_args(x, size, stride, "max_pool2d")
        chosen = _fold(_first_max(x, kernel, stride), x.shape, stride) > 0
        return [Branch(chosen, f"where {names[0]} is a window's maximum",
                       f"where {names[0]} is no window's maximum", ties=True)]


@defop("avg_pool2d", 1, params={"size": 2, "stride": None})
class AvgPool2d:
    """mean over each size window (an int or a pair) of x (N, C, H, W), stride the size by
    default"""
    def forward(x, size=2, stride=None):
        kernel, stride = _pool_args(x, size, stride, "avg_pool2d")
        return np.mean(_windows(x, kernel, stride), axis=(-2, -1))
    def vjp(g, out, x, size=2, stride=None):
        kernel, stride = _pool_args(x, size, stride, "avg_pool2d")
        share = np.broadcast_to(g[..., np.newaxis, np.newaxis] / (kernel[0] * kernel[1]), g.shape + kernel)
        return (_fold(share, x.shape, stride),)
    def jvp(ts, out, x, size=2, stride=None):
        kernel, stride = _pool_args(x, size, stride, "avg_pool2d")
        return np.mean(_windows(ts[0], kernel, stride), axis=(-2, -1))
