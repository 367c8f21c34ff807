"""`make run`: the platform on 127.0.0.1 with DynamoDB Local, a local S3 and SSM, and demo data.

The local SSM's parameters (the secrets `init-secrets` made, and any later rotation) are kept in
.local/data/ssm.json between runs, so certificates signed in an earlier run keep verifying. That
folder and every file the run writes there are its owner's only (0700 and 0600 from creation).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from infrastructure.cloudformation import DeployError
from infrastructure.local.stack import LOCAL_KEY_ID, LocalStack
from infrastructure.template import ROOT


def restore_parameters(stack: LocalStack, saved: Path) -> bool:
    """Puts the parameters of an earlier run back into the local SSM; False when there are none."""
    ssm = stack.ssm_client()
    if saved.exists():
        for parameter in json.loads(saved.read_text()):
            ssm.put_parameter(
                Name=parameter["Name"], Type=parameter["Type"], Value=parameter["Value"], Overwrite=True
            )
        return True
    legacy = saved.parent / "secrets.json"  # before secrets moved to SSM: keep the local signing key
    if legacy.exists():
        from carbonneutral.certify.keys import SigningKey, b64url_decode, key_set

        old = json.loads(legacy.read_text())
        key = SigningKey(old.get("CERT_KEY_ID", LOCAL_KEY_ID), b64url_decode(old["CERT_SIGNING_KEY"]))
        path = stack.secrets_path
        for name, kind, value in (
            ("order-token-secret", "SecureString", old["ORDER_TOKEN_SECRET"]),
            ("sandbox-webhook-secret", "SecureString", old["SANDBOX_WEBHOOK_SECRET"]),
            ("certificate-signing-key", "SecureString", key.to_secret()),
            ("certificate-public-keys", "String", json.dumps(key_set(key))),
        ):
            ssm.put_parameter(Name=f"{path}/{name}", Type=kind, Value=value, Overwrite=True)
        legacy.unlink()
        return True
    return False


def save_parameters(stack: LocalStack, saved: Path) -> None:
    ssm = stack.ssm_client()
    found: list[dict[str, Any]] = []
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path=stack.secrets_path, Recursive=True, WithDecryption=True
    ):
        found += [{"Name": p["Name"], "Type": p["Type"], "Value": p["Value"]} for p in page["Parameters"]]
    write_private(saved, json.dumps(found))


def private_dir(path: Path) -> Path:
    """A folder only its owner can enter (an older, more open one is closed too)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """A file only its owner can read: written to a new file created 0600 (never briefly readable
    by others, whatever the umask) and swapped in whole, so an older file that others could read
    is replaced, never rewritten in place, and no reader sees half a file."""
    private_dir(path.parent)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    scratch.unlink(missing_ok=True)
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(scratch, path)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise


def main() -> int:
    port = int(os.environ.get("PORT", "3000"))
    data_dir = Path(os.environ.get("LOCAL_DATA_DIR") or ROOT / ".local" / "data") / "dynamodb"
    private_dir(data_dir.parent)  # before anything is written there: data, logs, secrets
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stack = LocalStack(
        port=port, data_dir=data_dir, init_secrets=False, run_schedules=True, log_dir=data_dir.parent / "logs"
    )
    saved = data_dir.parent / "ssm.json"
    try:
        stack.start()
        restore_parameters(stack, saved)
        stack.create_secrets()  # what is missing (a secret added since the last run); keeps the rest
    except DeployError as exc:
        print(f"could not start: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    except OSError as exc:
        print(f"could not start: {exc} (is something else on port {port}? set PORT=...)", file=sys.stderr)
        stack.stop()
        return 1
    save_parameters(stack, saved)
    url = stack.url
    # Lets `python -m infrastructure.admin --local …` find this stack while it runs: names and
    # endpoints only, no secret.
    stack_file = data_dir.parent / "stack.json"
    write_private(stack_file, json.dumps({**stack.environ, "LOCAL_GATEWAY_URL": url}))
    print(
        f"\nCarbon-neutral platform running locally (Ctrl-C stops everything)\n"
        f"  Home page           {url}/\n"
        f"  Demo scene          {url}/s/cdcnf-2021\n"
        f"  Everyday footprint  {url}/life\n"
        f"  Leaderboard         {url}/leaderboard/scene:cdcnf-2021\n"
        f"  Organizers          {url}/organizer  (keys: python -m infrastructure.admin --local create-organizer-key)\n"
        f"  Scenes API          {url}/v1/scenes\n"
        f"  OpenAPI document    {url}/v1/openapi.json\n"
        f"  Function logs       {data_dir.parent / 'logs'}\n"
        f"  DynamoDB Local      {stack.dynamodb.endpoint if stack.dynamodb else '-'} (data in {data_dir})\n"
        f"  Local S3 and SSM    {stack.aws.endpoint if stack.aws else '-'}\n",
        flush=True,
    )
    try:
        stop.wait()
    finally:
        print("stopping…", flush=True)
        save_parameters(stack, saved)  # keeps a key rotated while it ran
        stack_file.unlink(missing_ok=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
