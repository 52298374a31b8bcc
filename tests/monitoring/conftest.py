import sys
from pathlib import Path

import pytest
import xgboost as xgb

sys.path.insert(0, str(Path(__file__).parents[1] / "serving"))  # shared model and endpoint helpers

from monitoring_helpers import baseline_job, output, put_csv, train  # noqa: E402


@pytest.fixture(scope="session")
def bucket(aws):
    name = "mla-monitoring-tests"
    aws.s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(autouse=True)
def fast_clock(monkeypatch):
    monkeypatch.setenv("MLA_SERVING_CLOCK_FACTOR", "600")  # a service hour lasts 6 s


@pytest.fixture(scope="session")
def baseline(aws, bucket):
    """Statistics and constraints of the training data with the model's scores first, as the endpoint captures."""
    booster, frame = train()
    dataset = frame.copy()
    dataset.insert(0, "score", booster.predict(xgb.DMatrix(frame.to_numpy(float))).round(6))
    uri = put_csv(aws, bucket, "dq-baseline/data/train.csv", dataset)
    job = baseline_job(aws, "dq-baseline-job", uri, output("dq-baseline", bucket, "results"))
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    return booster, output("dq-baseline", bucket, "results")
