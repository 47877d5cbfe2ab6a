"""The grader behind `python -m helpers.grade`: run each learner's notebook in a sandboxed process, check it there.

collect: find assignments, learners and notebook files    runner: one notebook's status and notes, reruns
pool/worker: fork servers that import torch once          isolate: PID namespace and deadline per notebook
learner/cells: the learner's process and its IPython shell  sandbox: memory cap and Landlock
kernel_side/protocol: the checks and their verdicts       prepare: what is set up before any learner code runs
jobs: the unit of work                                    report: CSV, JSON, Markdown
"""
