"""Sample cases of every op of the reference engine, for the tests in ``test_ops.py``.

``CASES`` maps each op name to sample cases: a builder ``rng -> list of arguments`` and the
op's params. Builders draw inputs away from kinks and domain edges, so a central difference
with a step of about 1e-6 * |x| is accurate to far better than the tolerances used there.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------------------------------------
# argument builders: each returns a function rng -> np.ndarray


def normal(*shape, scale=1.0):
    return lambda rng: scale * rng.normal(size=shape)


def positive(*shape, lo=0.5, hi=2.0):
    return lambda rng: rng.uniform(lo, hi, size=shape)


def away(*shape, lo=0.3, hi=2.0):
    """Away from 0 (abs, relu, leaky_relu, denominators)."""
    return lambda rng: rng.choice([-1.0, 1.0], size=shape) * rng.uniform(lo, hi, size=shape)


def distinct(*shape):
    """Entries at least ~0.3 apart from each other (no ties for max/min)."""
    def build(rng):
        n = int(np.prod(shape, dtype=np.int64))
        values = rng.permutation(n) * 0.37 - 0.185 * n + rng.uniform(-0.03, 0.03, size=n)
        return values.reshape(shape)
    return build


def grid(*shape, offset):
    """Integer + offset + small noise: grid(..., offset=0.25) and grid(..., offset=0.75) never
    come closer than ~0.4, even after broadcasting (maximum, comparisons, l1)."""
    return lambda rng: (rng.integers(-3, 4, size=shape) + offset
                        + rng.uniform(-0.05, 0.05, size=shape))


def labels(*shape, classes):
    return lambda rng: rng.integers(0, classes, size=shape)


def mask(*shape):
    return lambda rng: rng.integers(0, 2, size=shape).astype(np.float64)


def hinge_scores(*shape, classes):
    """Scores and labels whose margins s_j - s_label + 1 are all >= ~0.4 away from zero."""
    def build(rng):
        y = rng.integers(0, classes, size=shape)
        s = rng.integers(-2, 3, size=shape + (classes,)).astype(np.float64)
        s += rng.uniform(-0.05, 0.05, size=s.shape)
        s += 0.5 * (np.arange(classes) == y[..., np.newaxis])
        return [s, y]
    return build


def case(*builders, **params):
    """A sample case from one builder per argument."""
    return (lambda rng: [b(rng) for b in builders]), params


def joint(builder, **params):
    """A sample case whose arguments are drawn together (the builder returns the list)."""
    return builder, params


# ---------------------------------------------------------------------------------------------
# the table

def _arith(denominator=False):
    second = away if denominator else normal
    return [
        case(normal(), second()),                      # 0-d with 0-d
        case(normal(3, 4), second(3, 4)),
        case(normal(3, 1), second(4)),                 # (3,1) with (4,)
        case(normal(4), second(3, 1)),
        case(normal(), second(2, 3)),                  # scalar with matrix
        case(normal(2, 3), second()),
        case(normal(2, 3, 4), second(4)),              # batch shape
        case(normal(2, 1, 4), second(3, 1)),
    ]


def _extremes(name):
    lo, hi = (0.25, 0.75) if name == "maximum" else (0.75, 0.25)
    return [
        case(grid(offset=lo), grid(offset=hi)),
        case(grid(3, 4, offset=lo), grid(3, 4, offset=hi)),
        case(grid(3, 1, offset=lo), grid(4, offset=hi)),
        case(grid(offset=hi), grid(2, 3, offset=lo)),
        case(grid(2, 3, 4, offset=lo), grid(4, offset=hi)),
    ]


def _comparisons():
    return [
        case(grid(offset=0.25), grid(offset=0.75)),
        case(grid(3, 4, offset=0.25), grid(3, 4, offset=0.75)),
        case(grid(3, 1, offset=0.75), grid(4, offset=0.25)),
        case(grid(offset=0.25), grid(2, 3, offset=0.75)),
    ]


def _unary(build):
    return [case(build()), case(build(5)), case(build(3, 4)), case(build(2, 3, 4))]


def _reductions(build):
    cases = [case(build()), case(build(), keepdims=True), case(build(5), axis=0),
             case(build(5), axis=-1, keepdims=True),
             case(build(), axis=0), case(build(), axis=-1, keepdims=True),  # 0-d: the value itself
             case(build(), axis=(0,)), case(build(3, 1), axis=1), case(build(1, 4), axis=0, keepdims=True)]
    for axis in (None, 0, 1, -1, (0, 2), (2, 0), (0, 1, 2)):
        for keepdims in (False, True):
            cases.append(case(build(2, 3, 4), axis=axis, keepdims=keepdims))
    return cases


def _normalizers():
    return [case(normal()), case(normal(), axis=0), case(normal(3, 1)),
            case(normal(5)), case(normal(3, 4)), case(normal(3, 4), axis=0),
            case(normal(3, 4), axis=1), case(normal(2, 3, 4), axis=1),
            case(normal(2, 3, 4), axis=-1), case(normal(4, 3, scale=5.0))]


CASES: dict[str, list] = {
    "add": _arith(),
    "sub": _arith(),
    "mul": _arith(),
    "div": _arith(denominator=True),
    "pow": [
        case(positive(), normal()),
        case(positive(3, 4), normal(3, 4)),
        case(positive(3, 1), normal(4)),               # broadcasting
        case(positive(2, 3), normal()),                # matrix ** scalar
        case(positive(), normal(2, 3)),                # scalar ** matrix
        case(positive(2, 3, 4), lambda rng: np.array(3.0)),  # integer-valued exponent
        case(positive(4), lambda rng: np.array(-0.5)),
    ],
    "maximum": _extremes("maximum"),
    "minimum": _extremes("minimum"),
    "where": [
        case(lambda rng: np.array(1.0), normal(), normal()),
        case(lambda rng: np.array(0.0), normal(2, 3), normal(2, 3)),
        case(mask(3, 4), normal(3, 4), normal(3, 4)),
        case(mask(3, 1), normal(4), normal()),          # condition, x and y all broadcast
        case(mask(4), normal(3, 1), normal(3, 4)),
        case(mask(2, 3, 4), normal(4), normal(3, 1)),
    ],
    "gt": _comparisons(),
    "ge": _comparisons(),
    "lt": _comparisons(),
    "le": _comparisons(),
    "neg": _unary(normal),
    "exp": _unary(normal),
    "log": _unary(positive) + [case(positive(3, lo=10.0, hi=1e3))],
    "sqrt": _unary(positive) + [case(positive(3, lo=10.0, hi=1e3))],
    "abs": _unary(away),
    "sin": _unary(normal),
    "cos": _unary(normal),
    "sigmoid": _unary(normal) + [case(normal(6, scale=8.0))],
    "tanh": _unary(normal) + [case(normal(6, scale=3.0))],
    "relu": _unary(away),
    "log1p": _unary(lambda *shape: positive(*shape, lo=-0.7, hi=3.0)) + [case(normal(4, scale=1e-4))],
    "expm1": _unary(normal) + [case(normal(4, scale=1e-4))],
    "clip": [
        case(grid(3, 4, offset=0.5), lo=-1.0, hi=1.0),     # entries in, below and above
        case(grid(offset=0.5), lo=-2.0, hi=0.0),
        case(grid(2, 5, offset=0.5), lo=0.0),              # no upper bound
        case(grid(2, 5, offset=0.5), hi=-1.0),             # no lower bound
        case(normal(4)),                                   # no bounds: the identity
        case(grid(5, offset=0.5), lo=1.0, hi=-1.0),        # lo > hi: the constant hi
    ],
    "leaky_relu": _unary(away) + [case(away(3, 4), alpha=0.2), case(away(), alpha=0.2),
                                  case(away(2, 5), alpha=1.5), case(away(5), alpha=-0.3)],
    "sum": _reductions(normal),
    "mean": _reductions(normal),
    "max": _reductions(distinct),
    "min": _reductions(distinct),
    "logsumexp": _reductions(normal),
    "var": _reductions(normal),
    "std": _reductions(normal),
    "softmax": _normalizers(),
    "log_softmax": _normalizers(),
    "matmul": [
        case(normal(3, 4), normal(4, 2)),
        case(normal(4), normal(4, 2)),                 # vector @ matrix
        case(normal(3, 4), normal(4)),                 # matrix @ vector
        case(normal(4), normal(4)),                    # vector @ vector -> 0-d
        case(normal(2, 3, 4), normal(4, 5)),           # batch @ matrix
        case(normal(3, 4), normal(2, 4, 5)),           # matrix @ batch
        case(normal(2, 3, 4), normal(2, 4, 5)),
        case(normal(2, 1, 3, 4), normal(3, 4, 2)),     # broadcast batch dims
        case(normal(4), normal(2, 4, 3)),
        case(normal(2, 3, 4), normal(4)),
    ],
    "transpose": [
        case(normal()),
        case(normal(5)),
        case(normal(3, 4)),
        case(normal(2, 3, 4)),
        case(normal(2, 3, 4), axes=(1, 2, 0)),
        case(normal(2, 3, 4), axes=(2, 0, 1)),
        case(normal(2, 3, 4), axes=(-1, 0, 1)),        # negative axes
        case(normal(3, 4), axes=(1, 0)),
    ],
    "reshape": [
        case(normal(2, 3, 4), shape=(6, 4)),
        case(normal(12), shape=(3, -1)),
        case(normal(3, 4), shape=-1),
        case(normal(), shape=(1, 1)),
        case(normal(1, 1)),                            # default shape (): to a 0-d array
        case(normal(2, 3, 4), shape=(4, 3, 2)),
    ],
    "pick": [
        case(normal(4, 5), labels(4, classes=5)),
        case(normal(5), lambda rng: np.array(3)),      # one row: 0-d label, 0-d output
        case(normal(2, 3, 5), labels(2, 3, classes=5)),
        case(normal(6, 2), labels(6, classes=2)),
    ],
    "mse": [
        case(normal(), normal()),
        case(normal(3, 4), normal(3, 4)),
        case(normal(5), normal()),
        case(normal(), normal(3)),                     # pred broadcast up to the target
        case(normal(3, 1), normal(4)),                 # (N,1) pred vs (N,) target style
        case(normal(2, 3, 4), normal(2, 3, 4)),
    ],
    "l1": [
        case(grid(offset=0.25), grid(offset=0.75)),
        case(grid(3, 4, offset=0.25), grid(3, 4, offset=0.75)),
        case(grid(5, offset=0.75), grid(offset=0.25)),
        case(grid(offset=0.25), grid(3, offset=0.75)),
        case(grid(3, 1, offset=0.25), grid(4, offset=0.75)),
    ],
    "softmax_cross_entropy": [
        case(normal(4, 5), labels(4, classes=5)),
        case(normal(5), lambda rng: np.array(2)),
        case(normal(2, 3, 5), labels(2, 3, classes=5)),
        case(normal(3, 2, scale=4.0), labels(3, classes=2)),
    ],
    "hinge": [
        joint(hinge_scores(4, classes=5)),
        joint(hinge_scores(classes=4)),                # one row: 0-d label
        joint(hinge_scores(2, 3, classes=4)),
        joint(hinge_scores(6, classes=3)),
    ],
    "take": [
        case(normal(5, 3), labels(4, classes=5)),
        case(normal(5, 3), lambda rng: np.array([1, 1, 3, 1])),   # a row taken three times
        case(normal(5, 3), labels(2, 3, classes=5)),              # indices of any shape
        case(normal(5, 3), lambda rng: np.array(2)),              # one index: one row
        case(normal(6), labels(4, classes=6)),                    # entries of a vector
        case(normal(4, 2, 3), labels(2, 2, classes=4)),
        case(normal(1, 3), lambda rng: np.zeros(3, dtype=np.int64)),
    ],
    "concat": [
        case(normal(2, 3), normal(4, 3)),
        case(normal(2, 3), normal(2, 1), normal(2, 2), axis=1),
        case(normal(2, 3, 2), normal(2, 1, 2), axis=-2),
        case(normal(3), normal(1), axis=-1),
        case(normal(3, 2)),                                       # one tensor: a copy
    ],
    "stack": [
        case(normal(3), normal(3)),
        case(normal(2, 3), normal(2, 3), normal(2, 3), axis=1),
        case(normal(2, 3), normal(2, 3), axis=-1),
        case(normal(), normal(), normal()),                       # 0-d into a vector
        case(normal(1, 2)),
    ],
    "broadcast_to": [
        case(normal(3), shape=(2, 3)),
        case(normal(), shape=(2, 2)),
        case(normal(3, 1), shape=(2, 3, 4)),
        case(normal(1, 4), shape=(3, 4)),
        case(normal(2, 3), shape=(2, 3)),
        case(normal(), shape=()),
    ],
    "getitem": [
        case(normal(4, 5), index=(slice(None), slice(1, 3))),
        case(normal(4, 5), index=(slice(None, None, -1), slice(1, None, 2))),
        case(normal(3), index=(None, slice(None), None, None)),
        case(normal(2, 3, 4), index=(Ellipsis, 0)),
        case(normal(2, 3, 4), index=(-1,)),
        case(normal(2, 3, 4), index=(slice(None), -2, None, slice(-1, 0, -2))),
        case(normal(2, 3, 4), index=(1, 2, 3)),                   # one entry: 0-d
        case(normal(), index=()),
        case(normal(), index=(None, Ellipsis)),
        case(normal(1, 3), index=(0,)),
        case(normal(4, 5), index=(slice(7, 9),)),                 # past the end: empty
    ],
    "conv2d": [
        case(normal(2, 3, 5, 5), normal(4, 3, 3, 3)),
        case(normal(2, 3, 5, 5), normal(4, 3, 3, 3), stride=2, pad=1),
        case(normal(1, 2, 6, 5), normal(3, 2, 2, 3), stride=(2, 1), pad=(0, 2)),
        case(normal(1, 2, 7, 6), normal(3, 2, 2, 2), stride=3),   # leaves the last row out
        case(normal(2, 2, 3, 3), normal(2, 2, 3, 3)),             # one output pixel
        case(normal(1, 1, 4, 3), normal(1, 1, 1, 1)),             # size-1 dims
    ],
    "max_pool2d": [
        case(distinct(2, 3, 6, 6)),                               # 2 x 2, stride 2
        case(distinct(1, 2, 5, 5), size=3, stride=1),             # overlapping windows
        case(distinct(2, 1, 4, 7), size=(2, 3), stride=(1, 2)),
        case(distinct(1, 2, 5, 7), size=2),                       # odd sizes: edges left out
        case(distinct(1, 1, 3, 3), size=1),
    ],
    "avg_pool2d": [
        case(normal(2, 3, 6, 6)),
        case(normal(1, 2, 5, 5), size=3, stride=1),
        case(normal(2, 1, 4, 7), size=(2, 3), stride=(1, 2)),
        case(normal(1, 2, 5, 7), size=2),
        case(normal(1, 1, 3, 3), size=1),
    ],
}
