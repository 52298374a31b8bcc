"""Headless notebook runs: execute notebooks with papermill into a run folder and report each one."""
