import numpy as np


def _check_mask(keep):
    if not (isinstance(keep, np.ndarray) and keep.dtype == bool):
        raise TypeError(f"the mask must arrive as a bool array, got {type(keep).__name__} {getattr(keep, 'dtype', '')}")


class MaskedSum:
    def forward(self, x, keep):
        # BEGIN SOLUTION MaskedSum.forward: sum of x where keep, over N
        _check_mask(keep)
        self.keep, self.n = keep, x.shape[0]
        return np.sum(x[keep]) / self.n
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION MaskedSum.backward: (dx, None)
        return grad_output * self.keep / self.n, None
        # END SOLUTION


class Leak:
    def __init__(self, alpha=0.1):
        self.alpha = alpha

    def forward(self, x, keep):
        # BEGIN SOLUTION Leak.forward: x where keep, alpha * x elsewhere
        _check_mask(keep)
        self.scale = np.where(keep, 1.0, self.alpha)
        return x * self.scale
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Leak.backward: (dx, None)
        return grad_output * self.scale, None
        # END SOLUTION


class Flip:
    def forward(self, x, settings):
        # BEGIN SOLUTION Flip.forward: -x if settings["flip"] else x
        if not isinstance(settings["flip"], bool):
            raise TypeError(f"flip must be a bool, got {type(settings['flip']).__name__}")
        self.sign = -1.0 if settings["flip"] else 1.0
        return self.sign * x
        # END SOLUTION

    def backward(self, grad_output):
        # BEGIN SOLUTION Flip.backward: (dx, None)
        return self.sign * grad_output, None
        # END SOLUTION
