"""Grading: the nbgrader course built from the phase folders, learner self-checks, and hardened grading of
submissions for instructors (sandboxed kernels, checks out of process)."""
