"""The grader behind `python -m helpers.grade`: run each learner's notebook in a sandboxed kernel, check it there.

collect: find assignments, learners and notebook files   runner: one notebook through nbclient
kernel_boot/sandbox: memory cap and Landlock for kernels  kernel_side/protocol: the grader's cells
prepare: what is set up before any learner code runs      jobs: the thread pool   report: CSV, JSON, Markdown
points: points and weights (grading.toml)                 lateness: due time, hand-in time, late policy
outputs: every output file from one report dict           shards: --shard K/N and merge
lms, lms_export: Canvas / Moodle / long import files      gradescope: the autograder zip and results.json
commands: the `merge` and `export` subcommands
"""
