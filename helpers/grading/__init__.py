"""The grader behind `python -m helpers.grade`: run each learner's notebook in a sandboxed process, judge it outside.

collect: find assignments, learners and notebook files    runner: one notebook's status and notes, reruns
pool/worker: fork servers that import torch once          isolate: PID/network namespaces, deadline per notebook
learner/cells: the learner's process and its IPython shell  sandbox/allowlist: memory cap, Landlock allow-list
channel/proxies/judging/graph_replay: the judge (a process that never ran learner code) and the learner's side
prepare: what is set up before any learner code runs      jobs: the unit of work   report: CSV, JSON, Markdown
points: points and weights (grading.toml)                 lateness: due time, hand-in time, late policy
outputs: every output file from one report dict           shards: --shard K/N and merge
lms, lms_export: Canvas / Moodle / long import files      gradescope: the autograder zip and results.json
commands: the `merge` and `export` subcommands
"""
