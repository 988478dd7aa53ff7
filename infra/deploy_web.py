"""Uploads the fan's web app to a stack deployed with WebApp=true.

The stack's outputs name the bucket, the distribution and the app's
config.json (WebAppConfig); this uploads every file of web/ with its
content type, then config.json, and invalidates the distribution so fans
get the new files at once. --dry-run reads the outputs from a JSON file
(`aws cloudformation describe-stacks --query Stacks[0].Outputs`) and
prints what it would upload, touching nothing.
"""

import argparse
import json
import mimetypes
import os
import sys
import time

WEB = os.path.join(os.path.dirname(__file__), "..", "web")
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".json": "application/json"}


def plan(outputs):
    named = {o["OutputKey"]: o["OutputValue"] for o in outputs}
    missing = [k for k in ("WebBucketName", "WebDistributionId", "WebAppConfig") if k not in named]
    if missing:
        sys.exit(f"the stack has no {', '.join(missing)} output: deploy it with WebApp=true first")
    config = json.loads(named["WebAppConfig"])
    files = []
    for name in sorted(os.listdir(WEB)):
        if name.startswith(".") or name == "config.json":
            continue
        ext = os.path.splitext(name)[1]
        files.append((name, TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"))
    return named["WebBucketName"], named["WebDistributionId"], config, files


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("stack", help="the stack's name")
    p.add_argument("--region")
    p.add_argument("--dry-run", metavar="OUTPUTS_JSON", help="plan from these outputs; upload nothing")
    a = p.parse_args()
    if a.dry_run:
        bucket, distribution, config, files = plan(json.load(open(a.dry_run, encoding="utf-8")))
    else:
        import boto3  # the deploy tools' (SAM's) own

        session = boto3.Session(region_name=a.region)
        stacks = session.client("cloudformation").describe_stacks(StackName=a.stack)
        bucket, distribution, config, files = plan(stacks["Stacks"][0].get("Outputs", []))
    body = json.dumps(config, ensure_ascii=False).encode()
    for name, kind in files:
        print(f"{'would upload' if a.dry_run else 'upload'} s3://{bucket}/{name} ({kind})")
    print(f"{'would upload' if a.dry_run else 'upload'} s3://{bucket}/config.json: {body.decode()}")
    if a.dry_run:
        print(f"would invalidate {distribution} /*")
        return
    s3 = session.client("s3")
    for name, kind in files:
        with open(os.path.join(WEB, name), "rb") as f:
            s3.put_object(Bucket=bucket, Key=name, Body=f.read(), ContentType=kind, CacheControl="no-cache")
    s3.put_object(Bucket=bucket, Key="config.json", Body=body, ContentType="application/json", CacheControl="no-cache")
    session.client("cloudfront").create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": str(time.time())})
    print(f"invalidated {distribution}: the new app is served now")


if __name__ == "__main__":
    main()
