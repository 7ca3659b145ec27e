"""The path scripts have used for ``grade validate``; it lives in ``grader.authoring`` now."""

from grader.authoring.validate import Validation, validate  # noqa: F401
