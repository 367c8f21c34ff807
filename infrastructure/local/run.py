"""`make run`: the platform on 127.0.0.1 with DynamoDB Local, a local S3 and demo data."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

from infrastructure.local.stack import LocalStack
from infrastructure.template import ROOT


def main() -> int:
    port = int(os.environ.get("PORT", "3000"))
    data_dir = Path(os.environ.get("LOCAL_DATA_DIR") or ROOT / ".local" / "data") / "dynamodb"
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stack = LocalStack(port=port, data_dir=data_dir)
    try:
        stack.start()
    except OSError as exc:
        print(f"could not start: {exc} (is something else on port {port}? set PORT=...)", file=sys.stderr)
        stack.stop()
        return 1
    url = stack.url
    # Lets `python -m infrastructure.admin --local …` find this stack while it runs.
    stack_file = data_dir.parent / "stack.json"
    stack_file.write_text(json.dumps({k: v for k, v in stack.environ.items() if not k.endswith("_PARAM")}))
    print(
        f"\nCarbon-neutral platform running locally (Ctrl-C stops everything)\n"
        f"  Home page           {url}/\n"
        f"  Demo scene          {url}/s/cdcnf-2021\n"
        f"  Everyday footprint  {url}/life\n"
        f"  Leaderboard         {url}/leaderboard/scene:cdcnf-2021\n"
        f"  Organizers          {url}/organizer  (keys: python -m infrastructure.admin --local create-organizer-key)\n"
        f"  Scenes API          {url}/v1/scenes\n"
        f"  OpenAPI document    {url}/v1/openapi.json\n"
        f"  DynamoDB Local      {stack.dynamodb.endpoint if stack.dynamodb else '-'} (data in {data_dir})\n"
        f"  Local S3            {stack.s3.endpoint if stack.s3 else '-'}\n",
        flush=True,
    )
    try:
        stop.wait()
    finally:
        print("stopping…", flush=True)
        stack_file.unlink(missing_ok=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
