"""The path scripts have used for ``grade template``; it lives in ``grader.authoring`` now."""

from grader.authoring.template import Template, make_template, render_template  # noqa: F401
