"""One notebook kernel of the cross-process serving test, run as ``python endpoint_kernel.py <endpoint> <model
archive> <image> <sync dir>``: it uploads the model archive and deploys it through the lab bootstrap
(``MLA_EMULATOR_URL`` set: the shared emulator; unset: an emulator of its own, as a kernel gets by default), then,
once the test creates ``<sync dir>/go``, invokes its endpoint with ``<sync dir>/rows.csv`` together with the other
kernels and prints the answers it got as JSON. Only boto3 and the lab bootstrap: a kernel starts fast."""

import json
import sys
import time
from pathlib import Path

from mla.lab import start

INVOCATIONS = 50


def main(endpoint: str, archive: Path, image: str, sync: Path) -> None:
    lab = start("local")
    s3, sagemaker, runtime = lab.client("s3"), lab.client("sagemaker"), lab.client("sagemaker-runtime")
    key = f"{lab.prefix}/{endpoint}/model.tar.gz"
    s3.put_object(Bucket=lab.bucket, Key=key, Body=archive.read_bytes())
    sagemaker.create_model(ModelName=endpoint, ExecutionRoleArn=lab.role_arn, PrimaryContainer={
        "Image": image, "ModelDataUrl": f"s3://{lab.bucket}/{key}"})
    sagemaker.create_endpoint_config(EndpointConfigName=endpoint, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": endpoint, "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1}])
    sagemaker.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)
    while (status := sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"]) == "Creating":
        time.sleep(0.02)
    pending = sync / f"{endpoint}-{archive.stem}.pending"
    pending.write_text(status)
    pending.rename(pending.with_suffix(".ready"))  # the test polls for *.ready: it never sees a half-written file
    while not (sync / "go").exists():
        time.sleep(0.01)
    body = (sync / "rows.csv").read_text()
    started, answers = time.time(), set()
    for _ in range(INVOCATIONS):
        answers.add(runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv",
                                            Body=body)["Body"].read().decode())
    print(json.dumps({"answers": sorted(answers), "started": started, "ended": time.time()}))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
