"""The reference of the dropout corpus: given the mask the student's forward drew."""


def dropout(x, dropout_param, mask):
    if dropout_param["mode"] == "train":
        return x * mask / dropout_param["p"]
    return x
