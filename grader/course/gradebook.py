"""A batch's grades in the CSV a learning management system imports: one row per student
(each member of a group submission gets the group's score), matched by what a Gradescope
export says about them. A submission the grader could not grade gets an empty grade, never 0.

- ``canvas``: Canvas's gradebook import (Student, ID, SIS User ID, SIS Login ID, Section,
  then a column named by the assignment; Canvas matches students by SIS User ID or login).
- ``moodle``: Moodle's grade import (Email address, then the assignment's column; Moodle maps
  the email address to its user).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

def write_gradebook(kind: str, path: Path, title: str, entries: list, rows: list[dict[str, Any]]) -> int:
    """Write ``kind``'s CSV to ``path``; the number of student rows written."""
    score = {row["submission"]: row["score"] if row["status"] == "graded" else "" for row in rows}
    column = f"{title} ({rows[0]['max_score']} points)" if rows and rows[0]["max_score"] != "" else title
    if kind == "canvas":
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
    else:
        header = ["Email address", column]
    lines = []
    for entry in entries:
        people = zip(entry.students, entry.emails, entry.sids) if entry.students else [(entry.name, "", "")]
        for name, email, sid in people:
            grade = score[entry.name]
            lines.append([name, "", sid, email, "", grade] if kind == "canvas" else [email, grade])
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(lines)
    return len(lines)
