"""Sandbox-account mode: the same notebooks against a learner's own AWS sandbox, without a runaway bill.

config (opt-in settings) · fence (account/alias/region check) · hook (caps and tags on every create call) ·
caps · tags · estimate (+ prices.yaml, dated) · teardown (by run-id tag, in dependency order, verified) ·
audit (untagged leftovers) · runs (`mla run --backend aws`) · cli (`mla cleanup`). Guide: docs/sandbox.md.
"""
