"""The grader behind `python -m helpers.grade`: run each learner's notebook in a sandboxed kernel, check it there.

collect: find assignments, learners and notebook files   runner: one notebook through nbclient
kernel_boot/sandbox: memory cap and Landlock for kernels  kernel_side/protocol: the grader's cells
prepare: what is set up before any learner code runs      jobs: the thread pool   report: CSV, JSON, Markdown
"""
