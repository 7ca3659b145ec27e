"""The grader's references for layer-functions: what one expression says badly (a flattened
affine layer, the normalizations with their running statistics, pooling windows from two
entries, dropout given its mask).
Each gets an engine Var per array input and a copy of each param dict; ``ops`` and ``np``
are given to this module."""


def affine(x, w, b):
    """x of any shape (N, d_1, ..., d_k), flattened to (N, D) rows."""
    return ops.reshape(x, shape=(x.shape[0], -1)) @ w + b


def _normalize(x, gamma, beta, bn_param, axes, shape):
    """Batch norm over ``axes``: the batch statistics in train mode (and the running ones
    moved toward them, in the dict, as students must), the running ones in test mode."""
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    size = gamma.shape[0]
    running_mean = bn_param.get("running_mean", np.zeros(size))
    running_var = bn_param.get("running_var", np.zeros(size))
    if bn_param["mode"] == "train":
        mean, var = ops.mean(x, axis=axes), ops.var(x, axis=axes)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        mean, var = running_mean, running_var
    def spread(v):  # a per-feature vector, shaped to broadcast against x
        return ops.reshape(v, shape=shape)
    return (x - spread(mean)) / ops.sqrt(spread(var) + eps) * spread(gamma) + spread(beta)


def batchnorm(x, gamma, beta, bn_param):
    return _normalize(x, gamma, beta, bn_param, 0, (1, -1))


def spatial_batchnorm(x, gamma, beta, bn_param):
    return _normalize(x, gamma, beta, bn_param, (0, 2, 3), (1, -1, 1, 1))


def layernorm(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    centered = x - ops.mean(x, axis=1, keepdims=True)
    return centered / ops.sqrt(ops.var(x, axis=1, keepdims=True) + eps) * gamma + beta


def max_pool(x, pool_param):
    """Windows of pool_height x pool_width rows and columns (an expression's op parameter
    cannot be a pair of dict entries)."""
    size = (pool_param["pool_height"], pool_param["pool_width"])
    return ops.max_pool2d(x, size=size, stride=pool_param["stride"])


def dropout(x, dropout_param, mask):
    """Train mode: the mask the student's forward drew (read off its output), scaled by 1 / p."""
    if dropout_param["mode"] == "train":
        return x * mask / dropout_param["p"]
    return x
