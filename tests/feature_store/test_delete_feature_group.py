"""DeleteFeatureGroup on the local backend: labs that create feature groups can clean them up."""

import pytest
from botocore.exceptions import ClientError

from mla.lab import start


@pytest.fixture(scope="module")
def lab():
    return start("local")


def _create(lab, name):
    lab.client("sagemaker").create_feature_group(
        FeatureGroupName=name, RecordIdentifierFeatureName="id", EventTimeFeatureName="t",
        FeatureDefinitions=[{"FeatureName": "id", "FeatureType": "String"},
                            {"FeatureName": "t", "FeatureType": "Fractional"}],
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": lab.s3_uri("fs")}}, RoleArn=lab.role_arn)


def test_cleanup_deletes_the_feature_groups_a_lab_created(lab):
    name = lab.name("fg")
    _create(lab, name)
    assert f"DeleteFeatureGroup {name}" in lab.cleanup()
    with pytest.raises(ClientError):
        lab.client("sagemaker").describe_feature_group(FeatureGroupName=name)


def test_deleting_a_missing_group_is_resource_not_found_and_spares_the_others(lab):
    sm = lab.client("sagemaker")
    kept = lab.name("kept")
    _create(lab, kept)
    with pytest.raises(ClientError) as error:
        sm.delete_feature_group(FeatureGroupName=lab.name("never-created"))
    assert error.value.response["Error"]["Code"] == "ResourceNotFound"
    assert sm.describe_feature_group(FeatureGroupName=kept)["FeatureGroupName"] == kept
    lab.cleanup()
