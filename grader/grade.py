"""The path scripts have used for grading one submission; it lives in ``grader.grading`` now."""

from grader.grading.grade import grade_submission  # noqa: F401
from grader.grading.run import check, run  # noqa: F401
