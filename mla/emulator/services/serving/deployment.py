"""``UpdateEndpoint``: a blue/green deployment with traffic shifting and automatic rollback.

The new (green) fleet starts beside the old (blue) one; traffic moves to it all at once
(``ALL_AT_ONCE``), a canary share first (``CANARY``), in equal steps (``LINEAR``) or in instance batches
(``RollingUpdatePolicy``), waiting ``WaitIntervalInSeconds`` after each step and ``TerminationWaitInSeconds``
(the baking period) at the end. Throughout, the ``AutoRollbackConfiguration`` alarms are evaluated; one
in ``ALARM`` sends all traffic back to blue and tears green down. Waits run on the compressed clock
(``clock.py``). Policies as in https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html
and https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-rolling.html.
"""

from __future__ import annotations

import math
import threading
import time

from ..sagemaker.jobs import JobFailure, now
from . import alarms, clock, endpoints

POLL_SECONDS = 0.05


def shares(policy: dict | None, green_instances: int) -> tuple[list[float], float, float]:
    """Traffic shares of the green fleet step by step, the wait after each step and the baking period
    (service seconds)."""
    policy = policy or {}
    if "RollingUpdatePolicy" in policy:
        rolling = policy["RollingUpdatePolicy"]
        batch = rolling["MaximumBatchSize"]
        step = batch["Value"] / 100 if batch["Type"] == "CAPACITY_PERCENT" else batch["Value"] / max(green_instances, 1)
        count = math.ceil(1 / min(max(step, 1e-9), 1))
        return [min((i + 1) * step, 1.0) for i in range(count)], rolling["WaitIntervalInSeconds"], 0
    blue_green = policy.get("BlueGreenUpdatePolicy") or {}
    routing = blue_green.get("TrafficRoutingConfiguration") or {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    wait, bake = routing.get("WaitIntervalInSeconds", 0), blue_green.get("TerminationWaitInSeconds", 0)
    kind = routing["Type"]
    if kind == "ALL_AT_ONCE":
        return [1.0], wait, bake
    size = routing["CanarySize"] if kind == "CANARY" else routing["LinearStepSize"]
    step = size["Value"] / 100 if size["Type"] == "CAPACITY_PERCENT" else size["Value"] / max(green_instances, 1)
    step = min(max(step, 1e-9), 1.0)
    if kind == "CANARY":
        return [step, 1.0] if step < 1 else [1.0], wait, bake
    return [min((i + 1) * step, 1.0) for i in range(math.ceil(1 / step))], wait, bake


class Deployment:
    def __init__(self, endpoint, config: dict, policy: dict | None):
        self.endpoint, self.config, self.policy = endpoint, config, policy
        self.green: list = []
        self.green_shadows: list = []
        self.green_share = 0.0
        self.stage = "Creating"
        self.started_at = now()
        self.started = time.monotonic()
        self.cancelled = threading.Event()

    def route(self, rng) -> list:
        """The fleet for one request (called under the endpoint's lock)."""
        return self.green if self.green and rng.random() < self.green_share else self.endpoint.variants

    def summary(self) -> dict:
        variants = []
        for spec in self.config["ProductionVariants"]:
            running = next((v for v in self.green if v.name == spec["VariantName"]), None)
            item = running.describe() if running else {"VariantName": spec["VariantName"]}
            item["VariantStatus"] = [{"Status": self.stage, "StartTime": self.started_at,
                                      "StatusMessage": f"{round(self.green_share * 100)}% of traffic on the new fleet"}]
            variants.append(item)
        return {"EndpointConfigName": self.config["EndpointConfigName"], "ProductionVariants": variants,
                "StartTime": self.started_at}

    def cancel(self) -> None:
        self.cancelled.set()

    def _wait(self, service_seconds: float, alarm_names: list[str]) -> list[str]:
        """Wait on the compressed clock; the alarms in ALARM meanwhile (empty when none fired)."""
        deadline = time.monotonic() + clock.real_seconds(service_seconds)
        while True:
            fired = alarms.any_breached(self.endpoint.ctx, alarm_names, self.started)
            if fired or self.cancelled.is_set() or time.monotonic() >= deadline:
                return fired
            time.sleep(POLL_SECONDS)

    def run(self) -> None:
        endpoint = self.endpoint
        try:
            self.green, self.green_shadows = endpoints.start_fleet(endpoint.ctx, self.config, endpoint.root)
        except (JobFailure, Exception) as error:
            reason = error.reason if isinstance(error, JobFailure) else f"{type(error).__name__}: {error}"
            self._finish(rolled_back=False, reason=f"Failed to update endpoint: {reason}"[:1024])
            return
        rollback = (self.policy or {}).get("AutoRollbackConfiguration") or {}
        alarm_names = [a["AlarmName"] for a in rollback.get("Alarms", [])]
        steps, wait, bake = shares(self.policy, sum(v.instance_count for v in self.green))
        for index, share in enumerate(steps):
            with endpoint.lock:
                self.stage, self.green_share = "ActivatingTraffic", share
            pause = wait if index < len(steps) - 1 else 0
            fired = self._wait(pause, alarm_names)
            if fired or self.cancelled.is_set():
                return self._finish(rolled_back=True, reason=self._rollback_reason(fired))
        with endpoint.lock:
            self.stage = "Baking"
        fired = self._wait(bake, alarm_names)
        if fired or self.cancelled.is_set():
            return self._finish(rolled_back=True, reason=self._rollback_reason(fired))
        self._finish(rolled_back=False, reason=None)

    def _rollback_reason(self, fired: list[str]) -> str | None:
        if not fired:
            return None
        return (f"Endpoint update was rolled back: CloudWatch alarm(s) {', '.join(fired)} went into ALARM "
                "during the deployment. Traffic is back on the previous endpoint configuration.")

    def _finish(self, rolled_back: bool, reason: str | None) -> None:
        endpoint = self.endpoint
        succeeded = self.green and not rolled_back and not self.cancelled.is_set()
        with endpoint.lock:
            if rolled_back:
                endpoint.set_status("RollingBack", reason)
            self.green_share = 0.0
            retired = endpoint.variants + endpoint.shadows if succeeded else self.green + self.green_shadows
            if succeeded:
                endpoint.variants, endpoint.shadows, endpoint.config = self.green, self.green_shadows, self.config
            endpoint.deployment = None
            if self.policy:
                endpoint.last_deployment_config = self.policy
        for variant in retired:
            variant.stop()
        if not self.cancelled.is_set():
            endpoint.set_status("InService", reason)


def start(endpoint, config: dict, policy: dict | None, pool) -> Deployment:
    deployment = Deployment(endpoint, config, policy)
    with endpoint.lock:
        endpoint.deployment = deployment
    pool.submit(deployment.run)
    return deployment
