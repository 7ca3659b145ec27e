"""The path scripts have used for grading one submission; it lives in ``grader.grading`` now."""

from grader.grading.grade import check, grade_submission  # noqa: F401
from grader.grading.run import run  # noqa: F401
