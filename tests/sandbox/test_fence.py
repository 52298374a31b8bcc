"""Sandbox mode refuses the wrong account, a production-looking alias and a region off the list before it
makes a single create call; it refuses to start at all until the learner names the account."""

import boto3
import botocore.session
import pytest
from sandbox_support import REGION

from mla.lab import BackendError, start
from mla.sandbox.config import SandboxConfigError, load_config

READ_ONLY = {"GetCallerIdentity", "ListAccountAliases"}


@pytest.fixture
def calls(sandbox, monkeypatch):
    """Every AWS operation any botocore session sends from now on."""
    seen = []
    original = botocore.session.Session.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.register("before-call", lambda model, **_: seen.append(model.name))

    monkeypatch.setattr(botocore.session.Session, "__init__", init)
    return seen


@pytest.fixture
def alias(sandbox):
    iam = boto3.session.Session(region_name=REGION).client("iam")

    def make(name):
        iam.create_account_alias(AccountAlias=name)

    yield make
    for name in iam.list_account_aliases()["AccountAliases"]:
        iam.delete_account_alias(AccountAlias=name)


def test_a_wrong_account_is_refused_before_any_create_call(calls, monkeypatch):
    monkeypatch.setenv("MLA_SANDBOX_ACCOUNT_ID", "111122223333")
    with pytest.raises(BackendError, match=r"belong to account 123456789012, not to your sandbox account 111122223333"):
        start("aws")
    assert set(calls) <= READ_ONLY and calls


@pytest.mark.parametrize("name", ["acme-prod", "acme_production_ml", "payments.live"])
def test_a_production_looking_alias_is_refused_before_any_create_call(calls, alias, name):
    alias(name)
    calls.clear()
    with pytest.raises(BackendError, match="suggests production"):
        start("aws")
    assert set(calls) <= READ_ONLY and "ListAccountAliases" in calls


def test_a_sandbox_alias_is_accepted_and_named_at_start(calls, alias, capsys):
    alias("acme-ml-sandbox")  # "product" or "sandbox" are not production words
    lab = start("aws")
    printed = capsys.readouterr().out
    assert lab.backend == "aws" and "account 123456789012 (acme-ml-sandbox)" in printed and lab.run_id in printed


def test_a_region_off_the_allow_list_is_refused_before_any_call(calls):
    with pytest.raises(BackendError, match=r"'eu-west-1' is not in your sandbox region allow-list \['us-east-1'\]"):
        start("aws", region="eu-west-1")
    assert calls == []


def test_start_refuses_until_the_account_is_named(sandbox, monkeypatch):
    monkeypatch.delenv("MLA_SANDBOX_ACCOUNT_ID")
    with pytest.raises(BackendError, match="not configured.*MLA_SANDBOX_ACCOUNT_ID"):
        start("aws")


def test_the_config_file_works_and_environment_wins(sandbox, monkeypatch, tmp_path):
    path = tmp_path / "sandbox.yaml"
    path.write_text("account_id: '111122223333'\nregions: [eu-west-1, us-east-1]\ncost_ceiling_usd: 2\n")
    monkeypatch.setenv("MLA_SANDBOX_CONFIG", str(path))
    monkeypatch.delenv("MLA_SANDBOX_ACCOUNT_ID")
    monkeypatch.delenv("MLA_SANDBOX_REGIONS")
    config = load_config()
    assert (config.account_id, config.regions, config.cost_ceiling_usd) == ("111122223333", ("eu-west-1", "us-east-1"), 2.0)
    monkeypatch.setenv("MLA_SANDBOX_REGIONS", "us-west-2")
    assert load_config().regions == ("us-west-2",)


@pytest.mark.parametrize("variable,value,message", [
    ("MLA_SANDBOX_ACCOUNT_ID", "1234", "12-digit"),
    ("MLA_SANDBOX_COST_CEILING", "cheap", "must be a number"),
    ("MLA_SANDBOX_MAX_RUNTIME", "-5", "must be positive"),
    ("MLA_SANDBOX_ENDPOINT_URL", "https://sagemaker.us-east-1.amazonaws.com", "not a loopback address"),
])
def test_bad_settings_get_a_clear_error(sandbox, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SandboxConfigError, match=message):
        load_config()


def test_unknown_settings_in_the_file_are_named(sandbox, monkeypatch, tmp_path):
    path = tmp_path / "sandbox.yaml"
    path.write_text("account_id: '111122223333'\nregions: [us-east-1]\nmax_cost: 3\n")
    monkeypatch.setenv("MLA_SANDBOX_CONFIG", str(path))
    with pytest.raises(SandboxConfigError, match="unknown setting.*max_cost"):
        load_config()
