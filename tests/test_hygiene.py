"""Repository hygiene: lint, no committed notebook outputs, no AWS keys in tracked files."""

import subprocess
import sys

from mla.hygiene import outputs_in, secrets_in, tracked_files
from mla.notebooks import repo_root

ROOT = repo_root()


def test_ruff_passes_on_code_and_notebooks():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_no_notebook_is_committed_with_outputs():
    assert [p for p in tracked_files(ROOT) if p.suffix == ".ipynb" and outputs_in(p)] == []


def test_no_aws_keys_in_tracked_files():
    assert {str(p): secrets_in(p) for p in tracked_files(ROOT) if secrets_in(p)} == {}


def test_key_scan_finds_a_real_looking_key_and_allows_the_documented_example(tmp_path):
    leaked = tmp_path / "config.py"
    leaked.write_text('key = "AKIA' + 'Q3EXAMPLEREALKEY" \nexample = "AKIAIOSFODNN7EXAMPLE"\n')
    assert secrets_in(leaked) == ["AKIA" + "Q3EXAMPLEREALKEY"]
