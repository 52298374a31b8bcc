"""Monitoring schedules: an hourly schedule runs on the compressed clock, executions are listed with their status
and are real processing jobs; stop, start, delete; bad requests get the service's errors."""

import pytest
from botocore.exceptions import ClientError
from monitoring_helpers import (
    capturing_endpoint,
    data_quality_definition,
    features,
    schedule,
    send,
    wait_execution,
    wait_first_execution,
)
from serving_helpers import create_model, deploy, put_xgboost_model, variant


def test_hourly_schedule_runs_on_the_compressed_clock(aws, bucket, baseline, name):
    booster, results = baseline
    capturing_endpoint(aws, bucket, name, booster)
    data_quality_definition(aws, name, name, bucket, results)
    schedule(aws, name, name, expression="cron(0 * ? * * *)")
    described = aws.sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)
    assert described["MonitoringType"] == "DataQuality" and described["EndpointName"] == name
    assert "LastMonitoringExecutionSummary" not in described
    send(aws, name, features(100, seed=11))  # traffic of the first (6-second) hour
    first = wait_first_execution(aws, name, timeout=30)
    assert first["MonitoringExecutionStatus"] == "Completed", first.get("FailureReason")
    assert first["MonitoringJobDefinitionName"] == name and first["MonitoringType"] == "DataQuality"
    described = aws.sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)
    assert described["MonitoringScheduleStatus"] == "Scheduled"
    assert described["LastMonitoringExecutionSummary"]["ScheduledTime"] >= first["ScheduledTime"]
    job = aws.sagemaker.describe_processing_job(ProcessingJobName=first["ProcessingJobArn"].split("/")[-1])
    assert job["ProcessingJobStatus"] == "Completed"
    assert job["Environment"]["sagemaker_monitoring_schedule_name"] == name

    aws.sagemaker.stop_monitoring_schedule(MonitoringScheduleName=name)
    stopped = aws.sagemaker.list_monitoring_schedules(NameContains=name)["MonitoringScheduleSummaries"]
    assert [(s["MonitoringScheduleName"], s["MonitoringScheduleStatus"]) for s in stopped] == [(name, "Stopped")]
    aws.sagemaker.start_monitoring_schedule(MonitoringScheduleName=name)
    assert aws.sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)[
        "MonitoringScheduleStatus"] == "Scheduled"
    aws.sagemaker.update_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 12 ? * * *)"}, "MonitoringJobDefinitionName": name,
        "MonitoringType": "DataQuality"})
    assert aws.sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)["MonitoringScheduleConfig"][
        "ScheduleConfig"]["ScheduleExpression"] == "cron(0 12 ? * * *)"
    with pytest.raises(ClientError, match="ResourceInUse"):
        aws.sagemaker.delete_data_quality_job_definition(JobDefinitionName=name)
    aws.sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name)
    aws.sagemaker.delete_data_quality_job_definition(JobDefinitionName=name)
    with pytest.raises(ClientError, match="ResourceNotFound"):
        aws.sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)


def test_window_without_traffic_fails_as_on_aws(aws, bucket, baseline, name):
    booster, results = baseline
    capturing_endpoint(aws, bucket, name, booster)
    data_quality_definition(aws, name, name, bucket, results)
    schedule(aws, name, name, DataAnalysisStartTime="-PT2H", DataAnalysisEndTime="-PT1H")
    summary = wait_execution(aws, name)
    assert summary["MonitoringExecutionStatus"] == "Failed"
    assert summary["FailureReason"] == "Job inputs had no data" and "ProcessingJobArn" not in summary


def test_job_definitions_list_and_describe(aws, bucket, baseline, name):
    booster, results = baseline
    capturing_endpoint(aws, bucket, name, booster)
    data_quality_definition(aws, name, name, bucket, results)
    described = aws.sagemaker.describe_data_quality_job_definition(JobDefinitionName=name)
    assert described["JobDefinitionArn"].endswith(f":data-quality-job-definition/{name}")
    assert described["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == name
    listed = aws.sagemaker.list_data_quality_job_definitions(EndpointName=name)["JobDefinitionSummaries"]
    assert [d["MonitoringJobDefinitionName"] for d in listed] == [name]
    assert aws.sagemaker.list_model_quality_job_definitions(EndpointName=name)["JobDefinitionSummaries"] == []
    with pytest.raises(ClientError, match="ResourceInUse"):
        data_quality_definition(aws, name, name, bucket, results)


@pytest.mark.parametrize("config, error", [
    ({"ScheduleExpression": "rate(1 hour)"}, "Invalid ScheduleExpression"),
    ({"ScheduleExpression": "NOW"}, "DataAnalysisStartTime and DataAnalysisEndTime are required"),
    ({"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT30H", "DataAnalysisEndTime": "PT0H"},
     "at most 24 hours"),
])
def test_bad_schedules_are_refused(aws, bucket, baseline, name, config, error):
    booster, results = baseline
    capturing_endpoint(aws, bucket, name, booster)
    data_quality_definition(aws, name, name, bucket, results)
    with pytest.raises(ClientError, match=error) as caught:
        aws.sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
            "ScheduleConfig": config, "MonitoringJobDefinitionName": name, "MonitoringType": "DataQuality"})
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_unknown_definition_and_endpoint_without_capture(aws, bucket, baseline, name):
    with pytest.raises(ClientError, match="ResourceNotFound"):
        schedule(aws, name, "no-such-definition")
    with pytest.raises(ClientError, match="ResourceNotFound"):
        aws.sagemaker.describe_model_quality_job_definition(JobDefinitionName=name)
    booster, results = baseline
    create_model(aws.sagemaker, name, put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", booster))
    deploy(aws.sagemaker, name, [variant(name)])
    data_quality_definition(aws, name, name, bucket, results)
    with pytest.raises(ClientError, match="does not capture data") as caught:
        schedule(aws, name, name)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
