"""Grading: the nbgrader course built from the phase folders, learner self-checks, and the honesty gate."""
