"""Student code's cell: the grader's side of the worker (``host``: start it, talk to it with
deadlines, end it), its launcher (``confine``: limits, namespaces, user, its own root from
``rootfs``, the memory budget from ``cgroup``) and the worker itself (``worker``), with the
messages between them (``protocol``), what student code prints (``capture``) and the import
guard (``imports``). It imports nothing outside itself but ``errors``; the worker's modules
import only each other, so the worker holds nothing of the grader. This file imports
nothing, so loading the worker loads nothing of the grader's side."""
