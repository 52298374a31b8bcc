"""A job's log in CloudWatch Logs, and the metrics its lines report through regex metric definitions.

Training jobs log to ``/aws/sagemaker/TrainingJobs`` in a stream ``<job-name>/algo-1-<epoch>``; each metric
definition's first regex group, searched in every line, gives a value; the last one becomes the job's
``FinalMetricDataList`` entry and every value is also put to CloudWatch under ``/aws/sagemaker/<Kind>``.
"""

from __future__ import annotations

import re
import threading
import time

from .jobs import now


class JobLog:
    def __init__(self, logs, group: str, stream: str, metric_definitions: list[dict] | None = None):
        self.logs, self.group, self.stream = logs, group, stream
        self.definitions = [(d["Name"], re.compile(d["Regex"])) for d in metric_definitions or []]
        self.values: dict[str, list[tuple[object, float]]] = {}
        self.lines: list[str] = []
        self._pending: list[dict] = []
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()
        try:
            logs.create_log_group(logGroupName=group)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass
        logs.create_log_stream(logGroupName=group, logStreamName=stream)

    def write(self, text: str) -> None:
        stamp = now()
        with self._lock:
            for line in text.rstrip("\n").split("\n"):
                self.lines.append(line)
                self._pending.append({"timestamp": int(stamp.timestamp() * 1000), "message": line})
                for name, regex in self.definitions:
                    found = regex.search(line)
                    if found and found.groups():
                        try:
                            self.values.setdefault(name, []).append((stamp, float(found.group(1))))
                        except ValueError:
                            pass
            due = len(self._pending) >= 500 or time.monotonic() - self._last_flush > 1.0
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
            self._last_flush = time.monotonic()
        if batch:
            self.logs.put_log_events(logGroupName=self.group, logStreamName=self.stream, logEvents=batch)

    def final_metrics(self) -> list[dict]:
        return [{"MetricName": name, "Value": points[-1][1], "Timestamp": points[-1][0]}
                for name, points in self.values.items()]

    def publish_metrics(self, cloudwatch, namespace: str, host: str) -> None:
        data = [{"MetricName": name, "Dimensions": [{"Name": "Host", "Value": host}], "Timestamp": stamp,
                 "Value": value} for name, points in self.values.items() for stamp, value in points]
        for start in range(0, len(data), 1000):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start:start + 1000])

    def last_error_line(self) -> str:
        """The last line that reads like a raised exception (``ValueError: ...``), else the last line."""
        exception = re.compile(r"^[\w.]+(Error|Exception|Interrupt|Exit)\b.*")
        for line in reversed(self.lines):
            if exception.match(line.strip()):
                return line.strip()
        return self.lines[-1].strip() if self.lines else ""
