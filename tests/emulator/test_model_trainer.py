"""SDK v3 ModelTrainer(source_code=...) trains on the local backend with the same code as on AWS."""

import json
import textwrap

import pytest
from sagemaker_helpers import model_files

from mla.lab import start

pytestmark = pytest.mark.usefixtures("clean_environ")

TRAIN_PY = """
    import argparse, json, os
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-estimators", type=int)
    args = parser.parse_args()
    rows = open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "train.csv")).read().split()
    with open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w") as out:
        json.dump({"n_estimators": args.n_estimators, "rows": len(rows)}, out)
    print("train_accuracy=0.875")
"""


def test_model_trainer_runs_a_training_script_in_local_mode(tmp_path):
    from sagemaker.core import image_uris
    from sagemaker.core.training.configs import Compute, InputData, MetricDefinition, SourceCode
    from sagemaker.train import ModelTrainer

    lab = start("local")
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(textwrap.dedent(TRAIN_PY))
    lab.client("s3").put_object(Bucket=lab.bucket, Key=f"{lab.prefix}/data/train.csv", Body="1,2\n3,4\n5,6\n")

    trainer = ModelTrainer(
        training_image=image_uris.retrieve("sklearn", lab.region, "1.2-1"),
        source_code=SourceCode(source_dir=str(source), entry_script="train.py"),
        hyperparameters={"n-estimators": 7}, role=lab.role_arn, sagemaker_session=lab.session,
        base_job_name="model-trainer", compute=Compute(instance_type="ml.m5.large", instance_count=1),
    ).with_metric_definitions([MetricDefinition(name="train:accuracy", regex="train_accuracy=([0-9.]+)")])
    trainer.train(input_data_config=[InputData(channel_name="train", data_source=lab.s3_uri("data"))],
                  wait=True, logs=False)

    job = trainer._latest_training_job
    job.refresh()
    assert job.training_job_status == "Completed", job.failure_reason
    model = model_files(lab.client("s3"), job.model_artifacts.s3_model_artifacts, tmp_path)
    assert json.loads((model / "model.json").read_text()) == {"n_estimators": 7, "rows": 3}
    assert [(m.metric_name, m.value) for m in job.final_metric_data_list] == [("train:accuracy", 0.875)]
