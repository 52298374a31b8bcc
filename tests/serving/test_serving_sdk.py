"""SDK v3 deploys and invokes through the ordinary SageMaker API, which the local backend serves: the
``sagemaker.core`` resources ``Model``, ``EndpointConfig`` and ``Endpoint`` with ``endpoint.invoke``, as a
notebook uses them (``AWS_ENDPOINT_URL`` is what the lab bootstrap sets)."""

import numpy as np
import xgboost as xgb
from local_aws import dummy_session
from sagemaker.core.resources import Endpoint, EndpointConfig, Model
from sagemaker.core.shapes import ContainerDefinition, ProductionVariant
from serving_helpers import ROLE, csv_body, features, put_xgboost_model, train_booster, xgboost_image


def test_sdk_v3_resources_deploy_and_invoke_an_xgboost_endpoint(aws, bucket, name, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.url)
    session = dummy_session()  # a session of its own: the SDK caches clients per session
    booster = train_booster(seed=4, slope=2.5)
    url = put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", booster)
    model = Model.create(model_name=name, execution_role_arn=ROLE, session=session,
                         primary_container=ContainerDefinition(image=xgboost_image(), model_data_url=url))
    assert model.primary_container.model_data_url == url
    EndpointConfig.create(endpoint_config_name=name, session=session, production_variants=[ProductionVariant(
        variant_name="AllTraffic", model_name=name, instance_type="ml.m5.large", initial_instance_count=1)])
    endpoint = Endpoint.create(endpoint_name=name, endpoint_config_name=name, session=session)
    assert endpoint.endpoint_status == "Creating"
    endpoint.wait_for_status("InService", poll=1, timeout=60)

    rows = features(6, seed=13)
    answer = endpoint.invoke(body=csv_body(rows), content_type="text/csv", session=session)
    assert answer.invoked_production_variant == "AllTraffic"
    np.testing.assert_allclose(np.array(answer.body.read().decode().split(","), dtype=float),
                               booster.predict(xgb.DMatrix(rows)), rtol=1e-6)
    assert Endpoint.get(endpoint_name=name, session=session).production_variants[0].current_instance_count == 1
    endpoint.delete()
    assert name not in [e["EndpointName"] for e in aws.sagemaker.list_endpoints(NameContains=name)["Endpoints"]]
