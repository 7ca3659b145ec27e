"""Mul is right; Exp.forward spins forever; Sigmoid.forward ignores the timer's and the
usual termination signals and sleeps forever."""

import signal
import time

import numpy as np


class Mul:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, grad_output):
        return grad_output * self.y, grad_output * self.x


class Exp:
    def forward(self, x):
        while True:
            pass

    def backward(self, grad_output):
        return grad_output


class Sigmoid:
    def forward(self, x):
        for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            time.sleep(0.05)

    def backward(self, grad_output):
        return grad_output
