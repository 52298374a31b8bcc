"""Application Auto Scaling for endpoint variants, on the compressed clock.

moto keeps the scalable targets, policies and scheduled actions (``RegisterScalableTarget``,
``PutScalingPolicy``, ``PutScheduledAction``); each tick this module applies them to the running endpoints
so ``DescribeEndpoint``'s ``CurrentInstanceCount`` really changes:

* target tracking on ``SageMakerVariantInvocationsPerInstance`` (invocations per instance per minute) or a
  customized ``AWS/SageMaker`` metric: desired = ceil(current × metric ÷ target), with
  ``ScaleOutCooldown`` / ``ScaleInCooldown`` (default 300 s) and ``DisableScaleIn``; with ``MinCapacity`` 0 an
  asynchronous endpoint scales in to zero on ``ApproximateBacklogSizePerInstance``, and since that metric is not
  published at zero instances, only a step policy on ``HasBacklogWithoutCapacity`` brings it back
  (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html);
* step scaling, triggered by a CloudWatch alarm whose ``AlarmActions`` name the policy, with
  ``ChangeInCapacity`` / ``PercentChangeInCapacity`` / ``ExactCapacity`` step adjustments and ``Cooldown``;
* scheduled actions ``at(...)`` (UTC) that set ``MinCapacity`` / ``MaxCapacity``.

When several policies fire, the largest scale-out wins, else the most conservative scale-in; always within the
target's ``MinCapacity``..``MaxCapacity``. As documented in
https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling.html and
https://docs.aws.amazon.com/autoscaling/application/userguide/what-is-application-auto-scaling.html.
"""

from __future__ import annotations

import datetime as dt
import math
import time

from ..sagemaker.jobs import client
from . import alarms, clock, endpoints, metrics

DIMENSION = "sagemaker:variant:DesiredInstanceCount"
DEFAULT_COOLDOWN = 300
_last_scaled: dict[str, float] = {}  # resource id -> time.monotonic() of its last scaling
_applied_schedules: set[str] = set()


def _target_value(ctx, endpoint, variant, config: dict) -> float | None:
    since = time.monotonic() - clock.real_seconds(60)
    predefined = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    if predefined == "SageMakerVariantInvocationsPerInstance":
        return sum(metrics.RECORDER.values(ctx.region, endpoint.name, "InvocationsPerInstance", since, variant.name))
    custom = config.get("CustomizedMetricSpecification")
    if custom:
        return alarms.value(ctx, {"Namespace": custom.get("Namespace"), "MetricName": custom.get("MetricName"),
                                  "Dimensions": custom.get("Dimensions", []), "Statistic": custom.get("Statistic"),
                                  "Period": 60, "EvaluationPeriods": 1})
    return None


def _cooled(resource: str, service_seconds: float) -> bool:
    return time.monotonic() - _last_scaled.get(resource, -math.inf) >= clock.real_seconds(service_seconds)


def _set_count(endpoint, variant, resource: str, count: int) -> None:
    with endpoint.lock:
        if count != variant.instance_count:
            variant.instance_count = count
            endpoint.modified = dt.datetime.now(dt.UTC)
            _last_scaled[resource] = time.monotonic()


def _target_tracking(ctx, endpoint, variant, resource: str, config: dict) -> int | None:
    value = _target_value(ctx, endpoint, variant, config)
    if value is None:
        return None
    desired = math.ceil(variant.instance_count * value / config["TargetValue"])
    if desired > variant.instance_count and _cooled(resource, config.get("ScaleOutCooldown", DEFAULT_COOLDOWN)):
        return desired
    if desired < variant.instance_count and not config.get("DisableScaleIn") and \
            _cooled(resource, config.get("ScaleInCooldown", DEFAULT_COOLDOWN)):
        return desired
    return None


def _step(ctx, variant, resource: str, policy: dict, alarm_list: list[dict]) -> int | None:
    config = policy["StepScalingPolicyConfiguration"]
    for alarm in alarm_list:
        if policy["PolicyARN"] not in alarm.get("AlarmActions", []):
            continue
        is_breached, current = alarms.breached(ctx, alarm)
        if not is_breached or current is None or not _cooled(resource, config.get("Cooldown", DEFAULT_COOLDOWN)):
            continue
        above = current - alarm["Threshold"]
        for step in config["StepAdjustments"]:
            low, high = step.get("MetricIntervalLowerBound", -math.inf), step.get("MetricIntervalUpperBound", math.inf)
            if low <= above < high:
                change, kind = step["ScalingAdjustment"], config.get("AdjustmentType", "ChangeInCapacity")
                if kind == "ExactCapacity":
                    return change
                if kind == "PercentChangeInCapacity":
                    delta = variant.instance_count * change / 100
                    return variant.instance_count + int(math.copysign(max(abs(delta), 1), delta))
                return variant.instance_count + change
    return None


def _scheduled(aas, resource: str) -> None:
    actions = aas.describe_scheduled_actions(ServiceNamespace="sagemaker", ResourceId=resource)["ScheduledActions"]
    for action in actions:
        schedule = action["Schedule"]
        if action["ScheduledActionARN"] in _applied_schedules or not schedule.startswith("at("):
            continue
        when = dt.datetime.fromisoformat(schedule[3:-1]).replace(tzinfo=dt.UTC)
        if dt.datetime.now(dt.UTC) >= when:
            limits = {k: v for k, v in (action.get("ScalableTargetAction") or {}).items() if v is not None}
            aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource,
                                         ScalableDimension=DIMENSION, **limits)
            _applied_schedules.add(action["ScheduledActionARN"])


def evaluate() -> None:
    """One scaling pass over every InService endpoint that has scalable targets."""
    by_place: dict[tuple[str, str], list] = {}
    for endpoint in list(endpoints.ENDPOINTS.values()):
        if endpoint.status == "InService":
            by_place.setdefault((endpoint.ctx.url, endpoint.ctx.region), []).append(endpoint)
    for group in by_place.values():
        ctx = group[0].ctx
        aas = client(ctx, "application-autoscaling")
        targets = {t["ResourceId"]: t for t in aas.describe_scalable_targets(ServiceNamespace="sagemaker")
                   ["ScalableTargets"] if t["ScalableDimension"] == DIMENSION}
        if not targets:
            continue
        policies = aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
        alarm_list = client(ctx, "cloudwatch").describe_alarms()["MetricAlarms"] \
            if any(p["PolicyType"] == "StepScaling" for p in policies) else []
        for endpoint in group:
            for variant in list(endpoint.variants):
                resource = f"endpoint/{endpoint.name}/variant/{variant.name}"
                if resource not in targets:
                    continue
                _scheduled(aas, resource)
                target = aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[resource],
                                                       ScalableDimension=DIMENSION)["ScalableTargets"][0]
                proposals = []
                for policy in (p for p in policies if p["ResourceId"] == resource):
                    if policy["PolicyType"] == "TargetTrackingScaling":
                        proposals.append(_target_tracking(ctx, endpoint, variant, resource,
                                                          policy["TargetTrackingScalingPolicyConfiguration"]))
                    elif policy["PolicyType"] == "StepScaling":
                        proposals.append(_step(ctx, variant, resource, policy, alarm_list))
                # several policies: the largest scale-out wins, else the most conservative scale-in
                desired = max((p for p in proposals if p is not None), default=None)
                count = variant.instance_count if desired is None else desired
                _set_count(endpoint, variant, resource,
                           min(max(count, target["MinCapacity"]), target["MaxCapacity"]))
