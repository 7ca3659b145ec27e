import numpy as np


def _check_mask(keep):
    if not (isinstance(keep, np.ndarray) and keep.dtype == bool):
        raise TypeError(f"the mask must arrive as a bool array, got {type(keep).__name__} {getattr(keep, 'dtype', '')}")


class MaskedSum:
    def forward(self, x, keep):
        _check_mask(keep)
        self.keep, self.n = keep, x.shape[0]
        return np.sum(x[keep]) / self.n

    def backward(self, grad_output):
        return np.full(self.keep.shape, grad_output / self.n), None  # forgets the mask


class Leak:
    def __init__(self, alpha=0.1):
        self.alpha = alpha

    def forward(self, x, keep):
        _check_mask(keep)
        self.scale = np.where(keep, 1.0, self.alpha)
        return x * self.scale

    def backward(self, grad_output):
        return grad_output * self.scale, None


class Flip:
    def forward(self, x, settings):
        if not isinstance(settings["flip"], bool):
            raise TypeError(f"flip must be a bool, got {type(settings['flip']).__name__}")
        self.sign = -1.0 if settings["flip"] else 1.0
        return self.sign * x

    def backward(self, grad_output):
        return self.sign * grad_output, None
