"""The Python clients people use, against the emulator and moto, loopback only:
botocore's credentials and Region fetchers, ec2-metadata (every property),
boto3 with `credential_process = imds credentials` signing an STS request to
moto, and `imds credentials` / `imds region` against moto.

    python python_clients.py EMULATOR_URL MOTO_URL IMDS_BINARY
"""

import guard  # noqa: F401  (first: no connect leaves loopback)

import json
import os
import subprocess
import sys
import tempfile

emulator, moto, imds = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/"), sys.argv[3]
failures = []


def check(name, got, expected):
    if got == expected:
        print(f"ok: {name}")
    else:
        failures.append(name)
        print(f"FAILED: {name}: {got!r} != {expected!r}")


def run_imds(*args, endpoint=emulator):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": tempfile.mkdtemp()}
    out = subprocess.run([imds, "--endpoint", endpoint, *args], capture_output=True, env=env, timeout=60)
    if out.returncode != 0:
        raise SystemExit(f"imds {' '.join(args)}: exit {out.returncode}: {out.stderr.decode()}")
    return out.stdout


# botocore, given the base URL (its default is 169.254.169.254).
from botocore.utils import InstanceMetadataFetcher, InstanceMetadataRegionFetcher  # noqa: E402

credentials = InstanceMetadataFetcher(timeout=2, num_attempts=2, base_url=emulator).retrieve_iam_role_credentials()
check("botocore InstanceMetadataFetcher credentials", credentials.get("access_key"), "ASIAEMULATOR0EXAMPLE")
region = InstanceMetadataRegionFetcher(timeout=2, num_attempts=2, base_url=emulator).retrieve_region()
check("botocore InstanceMetadataRegionFetcher region (asks availability-zone/)", region, run_imds("region").decode().strip())

# ec2-metadata, its URLs pointed at the emulator: every property answers.
from ec2_metadata import EC2Metadata  # noqa: E402

metadata = EC2Metadata()
metadata.service_url = f"{emulator}/latest/"
metadata.dynamic_url = f"{metadata.service_url}dynamic/"
metadata.metadata_url = f"{metadata.service_url}meta-data/"
metadata.userdata_url = f"{metadata.service_url}user-data/"
check("ec2-metadata user_data (asks user-data/)", metadata.user_data, run_imds("get", "/latest/user-data"))
check("ec2-metadata instance_id", metadata.instance_id, run_imds("get", "/latest/meta-data/instance-id").decode())
check("ec2-metadata region", metadata.region, region)
check("ec2-metadata account_id", metadata.account_id, json.loads(run_imds("identity"))["accountId"])
properties = [name for name in dir(EC2Metadata) if not name.startswith("_") and name != "clear_all"]
broken = []
for name in properties:
    try:
        getattr(metadata, name)
    except Exception as e:  # noqa: BLE001
        broken.append(f"{name}: {e}")
check(f"ec2-metadata: all {len(properties)} properties answer", broken, [])

# boto3 with credential_process = imds credentials: it signs an STS request to moto.
if moto:
    import boto3  # noqa: E402

    with tempfile.TemporaryDirectory() as home:
        config = os.path.join(home, "config")
        with open(config, "w") as f:
            f.write(f"[profile imds]\ncredential_process = {imds} --endpoint {emulator} credentials\nregion = us-east-1\n")
        # (Not AWS_EC2_METADATA_DISABLED: imds, run by boto3, reads it too
        # and would refuse. The chain stops at credential_process; the guard
        # holds anyway.)
        os.environ.update(AWS_CONFIG_FILE=config, AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "none"))
        session = boto3.Session(profile_name="imds")
        sts = session.client("sts", endpoint_url=moto)
        signed = []
        sts.meta.events.register("before-send", lambda request, **_: signed.append(request.headers["Authorization"]))
        identity = sts.get_caller_identity()
        check("boto3 credential_process = imds credentials: a signed STS call to moto", "Account" in identity, True)
        check(
            "boto3 signed it with the emulator's key",
            b"Credential=ASIAEMULATOR0EXAMPLE/" in signed[0] if isinstance(signed[0], bytes)
            else "Credential=ASIAEMULATOR0EXAMPLE/" in signed[0],
            True,
        )

    # imds against moto (it answers the extended credentials API with 500).
    moto_credentials = json.loads(run_imds("credentials", endpoint=moto))
    check("imds credentials against moto (legacy API after a 500)", moto_credentials["Version"], 1)
    check("imds credentials against moto: a key", bool(moto_credentials["AccessKeyId"]), True)
    check("imds region against moto", run_imds("region", endpoint=moto), b"us-east-1\n")
else:
    print("skipped: boto3 credential_process and imds against moto (no moto URL)")

if failures:
    raise SystemExit(f"{len(failures)} client checks failed: {failures}")
print("all Python client checks passed")
