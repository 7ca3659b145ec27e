"""References of the settings corpus: batch norm in two modes, updating its running statistics."""


def batchnorm(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.zeros(D))
    if bn_param["mode"] == "train":
        mean = ops.mean(x, axis=0)
        var = ops.var(x, axis=0)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        mean, var = running_mean, running_var
    return (x - mean) / ops.sqrt(var + eps) * gamma + beta
