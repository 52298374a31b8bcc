import pytest

from mla.exam.questions import load_bank
from mla.exam.synthetic import write_synthetic_bank
from mla.progress.store import open_store


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("MLA_DATA_DIR", str(tmp_path / "data"))
    opened = open_store()
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def bank():
    return load_bank()


@pytest.fixture(scope="session")
def big_bank(tmp_path_factory):
    """10 questions of each type per domain plus a two-question case study per domain (168 questions)."""
    return load_bank(write_synthetic_bank(tmp_path_factory.mktemp("bank"), 10))


@pytest.fixture(scope="session")
def keys(bank):
    """Every question's answer key in the JSON shape a learner would send."""
    return {qid: list(q.answer) if isinstance(q.answer, tuple) else q.answer for qid, q in bank.items()}
