import pytest
from feature_store_helpers import FEATURES

from mla.lab import start


@pytest.fixture(scope="module")
def lab():
    return start("local")


@pytest.fixture
def make_group(lab):
    """``make_group(online=True, offline=True, **extra)`` -> the name of a new customers feature group."""

    def make(online=True, offline=True, **extra):
        name = lab.name("customers")
        config = {"OnlineStoreConfig": {"EnableOnlineStore": True}} if online else {}
        if offline:
            config["OfflineStoreConfig"] = {"S3StorageConfig": {"S3Uri": lab.s3_uri("feature-store")}}
        lab.client("sagemaker").create_feature_group(
            FeatureGroupName=name, RecordIdentifierFeatureName="customer_id", EventTimeFeatureName="event_time",
            FeatureDefinitions=FEATURES, RoleArn=lab.role_arn, **{**config, **extra})
        return name

    return make
