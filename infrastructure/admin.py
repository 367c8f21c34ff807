"""Admin commands, locally (`--local` uses the running `make run`) or against a deployed stack.

  python -m infrastructure.admin [--local] import-issuance FILE   # JSON like seed/projects.json, or CSV
  python -m infrastructure.admin [--local] audit                  # exit 1 when any invariant is broken
  python -m infrastructure.admin [--local] payouts
  python -m infrastructure.admin [--local] refunds [--order ORDER_ID] [--list]   # pay refunds due back
  python -m infrastructure.admin [--local] statement DEVELOPER_ID [--period 2026-11] [--format csv|json]
  python -m infrastructure.admin [--local] mark-paid DEVELOPER_ID --amount 120.50 --reference BANK_REF [--period 2026-11]
  python -m infrastructure.admin [--local] count-sales            # once: sales from before projects counted them
  python -m infrastructure.admin [--local] record-issuances       # once: serials issued before issuances were recorded
  python -m infrastructure.admin [--local] create-organizer-key ORGANIZER_ID --name NAME   # prints the key once
  python -m infrastructure.admin [--local] revoke-organizer-key KEY_ID
  python -m infrastructure.admin [--local] init-secrets [--path /carbon-neutral] [--kid cert-1]   # before deploying
  python -m infrastructure.admin [--local] put-secret NAME [--path /carbon-neutral]   # the value on standard input
  python -m infrastructure.admin [--local] rotate-certificate-key --kid cert-2 [--path /carbon-neutral]

Against AWS, set TABLE_NAME (the stack's TableName output) and the usual AWS credentials; the
secret commands need only the credentials and the region; `refunds` also PAYMENT_PROVIDER and
SECRETS_PATH (the stack's parameters), to pay through the stack's provider with its secrets.

CSV columns: project_id, name_zh, name_en, developer_id, developer_zh, developer_en, kind, standard,
location_zh, location_en, vintage, price_per_tonne, description_zh, description_en, demo, first, last
(one row per issued block; the project columns repeat).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from infrastructure.template import ROOT

STACK_FILE = ROOT / ".local" / "data" / "stack.json"


def read_issuance(path: Path) -> list[dict[str, Any]]:
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, list) else [data]
    projects: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            entry = projects.setdefault(
                row["project_id"],
                {
                    "project": {
                        "project_id": row["project_id"],
                        "name": {"zh-CN": row["name_zh"], "en": row["name_en"]},
                        "developer": {
                            "company_id": row["developer_id"],
                            "name": {"zh-CN": row["developer_zh"], "en": row["developer_en"]},
                        },
                        "kind": row["kind"],
                        "standard": row["standard"],
                        "location": {"zh-CN": row["location_zh"], "en": row["location_en"]},
                        "vintage": int(row["vintage"]),
                        "price_per_tonne": row["price_per_tonne"],
                        "description": {"zh-CN": row["description_zh"], "en": row["description_en"]},
                        "demo": row.get("demo", "").strip().lower() in {"1", "true", "yes"},
                    },
                    "blocks": [],
                },
            )
            entry["blocks"].append({"first": int(row["first"]), "last": int(row["last"])})
    return list(projects.values())


# Every SSM parameter a stack may have under its SecretsPath (each function reads only its own).
STACK_PARAMETERS = (
    "order-token-secret",
    "cursor-key",
    "certificate-signing-key",
    "certificate-public-keys",
    "sandbox-webhook-secret",
    "stripe-api-key",
    "stripe-webhook-secret",
    "wechatpay-private-key",
    "wechatpay-apiv3-key",
    "wechatpay-public-key",
    "wechatpay-app-secret",
    "alipay-private-key",
    "alipay-public-key",
)
SECRET_NAMES = ("order-token-secret", "cursor-key", "sandbox-webhook-secret", "certificate-signing-key")


KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")


def init_secrets(path: str, kid: str, out: Any = None) -> int:
    """Creates what the stack reads from SSM; parameters that exist are left as they are."""
    import secrets

    out = out or sys.stdout
    if not KEY_ID.fullmatch(kid):
        print("refused: a key id is 1 to 40 letters, digits, dots, dashes or underscores", file=sys.stderr)
        return 1

    import boto3
    from carbonneutral.certify.keys import SigningKey, key_set

    ssm = boto3.client("ssm")
    key = SigningKey.generate(kid)
    wanted = {
        "order-token-secret": ("SecureString", secrets.token_urlsafe(32)),
        "cursor-key": ("SecureString", secrets.token_urlsafe(32)),
        "sandbox-webhook-secret": ("SecureString", secrets.token_urlsafe(32)),
        "certificate-signing-key": ("SecureString", key.to_secret()),
        "certificate-public-keys": ("String", json.dumps(key_set(key))),
    }
    kept = []
    for name, (kind, value) in wanted.items():
        try:
            ssm.put_parameter(Name=f"{path}/{name}", Type=kind, Value=value, Overwrite=False)
            print(f"created {path}/{name}", file=out)
        except ssm.exceptions.ParameterAlreadyExists:
            print(f"kept    {path}/{name} (already there)", file=out)
            kept.append(name)
    if ("certificate-signing-key" in kept) != ("certificate-public-keys" in kept):
        print(
            "refused: the signing key and the published keys must be made together; "
            "use rotate-certificate-key to replace the key",
            file=sys.stderr,
        )
        return 1
    print(
        f"Stripe (PaymentProvider=stripe): put-secret stripe-api-key and stripe-webhook-secret under {path}",
        file=out,
    )
    print(
        "WeChat Pay (PaymentProvider=wechatpay): put-secret wechatpay-private-key, wechatpay-apiv3-key, "
        f"wechatpay-public-key and wechatpay-app-secret under {path}",
        file=out,
    )
    print(
        f"Alipay (PaymentProvider=alipay): put-secret alipay-private-key and alipay-public-key under {path}",
        file=out,
    )
    return 0


def put_secret(path: str, name: str, value: str) -> int:
    """Creates or replaces one SecureString parameter (a provider's key, a rotated secret)."""
    import boto3

    if not value.strip():
        print("refused: the value (read from standard input) is empty", file=sys.stderr)
        return 1
    boto3.client("ssm").put_parameter(
        Name=f"{path}/{name}", Type="SecureString", Value=value.strip(), Overwrite=True
    )
    print(f"stored {path}/{name}")
    return 0


def rotate_certificate_key(path: str, kid: str) -> int:
    """A new signing key: its public half is published first, beside every older key, so that
    certificates signed by any key keep verifying; then it replaces the signing key. Warm
    functions take it up when their cached copy expires (SECRETS_TTL_SECONDS)."""
    import boto3
    from carbonneutral.certify.keys import SigningKey, key_set, parse_key_set

    if not KEY_ID.fullmatch(kid):
        print("refused: a key id is 1 to 40 letters, digits, dots, dashes or underscores", file=sys.stderr)
        return 1
    ssm = boto3.client("ssm")
    try:
        published = parse_key_set(
            ssm.get_parameter(Name=f"{path}/certificate-public-keys")["Parameter"]["Value"]
        )
        ssm.get_parameter(Name=f"{path}/certificate-signing-key", WithDecryption=True)
    except ssm.exceptions.ParameterNotFound:
        print(f"refused: no certificate key under {path} yet; run init-secrets first", file=sys.stderr)
        return 1
    if any(k.get("kid") == kid for k in published["keys"]):
        print(f"refused: the key id {kid!r} was used before; choose a new one", file=sys.stderr)
        return 1
    key = SigningKey.generate(kid)
    ssm.put_parameter(
        Name=f"{path}/certificate-public-keys",
        Type="String",
        Value=json.dumps(key_set(key, published)),
        Overwrite=True,
    )
    ssm.put_parameter(
        Name=f"{path}/certificate-signing-key", Type="SecureString", Value=key.to_secret(), Overwrite=True
    )
    print(
        f"published {kid} beside {', '.join(k['kid'] for k in published['keys'])}; new certificates are signed with it"
    )
    return 0


def organizer_keys(args: argparse.Namespace) -> int:
    import re
    from datetime import UTC, datetime

    from carbonneutral import services
    from carbonneutral.domain.organizers import new_api_key
    from carbonneutral.domain.types import ORGANIZER_ID_PATTERN

    store = services.organizer_store()
    if args.command == "revoke-organizer-key":
        if not store.revoke(args.key_id):
            print(f"no key {args.key_id}", file=sys.stderr)
            return 1
        print(f"revoked {args.key_id}")
        return 0
    if not re.fullmatch(ORGANIZER_ID_PATTERN, args.organizer_id):
        print("organizer id: 3 to 64 lowercase letters, digits and dashes", file=sys.stderr)
        return 1
    token, key = new_api_key(args.organizer_id, args.name, datetime.now(UTC))
    store.put_key(key)
    print(
        f"key id {key.key_id} for organizer {args.organizer_id}; keep this key, it is not stored and not shown again:"
    )
    print(token)
    return 0


def use_local_stack() -> None:
    """The running `make run`'s endpoints and names (no secrets: those are in its SSM)."""
    if not STACK_FILE.exists():
        raise SystemExit("no running `make run` found (start it first, or drop --local to use AWS)")
    os.environ.update(json.loads(STACK_FILE.read_text()))


def audit_scenes() -> list[str]:
    """Each scene's figures against its retired orders (domain.ranking.scene_breaches); prints its rating."""
    from carbonneutral import services
    from carbonneutral.domain.ranking import rating, scene_breaches

    boards, scenes, footprints = (
        services.leaderboards(),
        services.scene_repository(),
        services.footprint_repository(),
    )
    by_scene: dict[str, list[Any]] = {}
    for order in services.ledger().retired_orders():
        if order.scene_id:
            by_scene.setdefault(order.scene_id, []).append(order)
    breaches: list[str] = []
    for scene_id, orders in sorted(by_scene.items()):
        scene = scenes.get(scene_id)
        if scene is None:
            breaches.append(
                f"scene {scene_id}: {len(orders)} retired orders name a scene that does not exist"
            )
            continue
        totals = boards.scene_totals(scene_id)
        held = {claim["order_id"] for claim in boards.held(scene_id)}
        sizes = {}
        for order in orders:
            if order.footprint_id:
                footprint = footprints.get(order.footprint_id)
                if footprint is not None:
                    sizes[order.footprint_id] = footprint.total_g
        rated = rating(scene, totals)
        print(
            f"scene {scene_id}: {rated.level}, {rated.neutralized_kg} of {rated.target_kg} kg "
            f"(participants {rated.participants_kg}, organizer {rated.organizer_kg}, held {rated.held_kg})"
        )
        breaches += scene_breaches(scene, totals, orders, held, sizes)
    return breaches


def pay_refunds(order_id: str | None, list_only: bool) -> int:
    """Lists the refunds due and pays each back through its provider (idempotently: a refund paid
    once is never paid again, whatever crashed in between)."""
    from carbonneutral import services
    from carbonneutral.errors import DomainError

    service = services.purchase_service()
    try:
        due = service.refunds_due(order_id)
    except DomainError as exc:
        print(f"refused: {exc.detail}", file=sys.stderr)
        return 1
    failures = under_way = 0
    for order, refund in due:
        line = (
            f"{order.order_id}: {refund.amount.amount} {refund.amount.currency} through "
            f"{refund.provider or order.provider} ({refund.reason})"
        )
        if list_only:
            print(f"due {line}")
            continue
        try:
            applied = service.pay_refund(order, refund)
            under_way += applied.outcome == "processing"  # still due until the provider confirms it
            print(f"{applied.outcome} {line}")
        except DomainError as exc:
            failures += 1
            print(f"not paid {line}: {exc.detail}", file=sys.stderr)
    paid = len(due) - failures - under_way
    print(f"refunds: {len(due)} due" + ("" if list_only else f", {paid} paid, {under_way} under way"))
    return 1 if failures else 0


def statement(developer_id: str, period: str | None, fmt: str) -> int:
    """Each sale owed to a developer (order, project, kg, amount, date) and the payouts made."""
    from carbonneutral import services

    ledger = services.ledger()
    sales = ledger.sales(developer_id, period)
    made = [
        p
        for p in ledger.payouts_made(developer_id)
        if period is None or (p.period or p.paid_at).startswith(period)
    ]
    owed, paid, _ = ledger.payout_totals(developer_id)
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["order_id", "project_id", "kg", "amount", "currency", "retired_at"])
        for sale in sales:
            writer.writerow(
                [
                    sale.order_id,
                    sale.project_id,
                    sale.kg,
                    sale.amount.amount,
                    sale.amount.currency,
                    sale.retired_at,
                ]
            )
        return 0
    total = sum((sale.amount.amount for sale in sales), start=Decimal(0))
    document = {
        "developer_id": developer_id,
        "period": period or "all",
        "sales": [
            {
                "order_id": sale.order_id,
                "project_id": sale.project_id,
                "kg": sale.kg,
                "amount": {"amount": str(sale.amount.amount), "currency": sale.amount.currency},
                "retired_at": sale.retired_at,
            }
            for sale in sales
        ],
        "sales_kg": sum(sale.kg for sale in sales),
        "sales_amount": str(total),
        "payouts": [
            {
                "reference": p.reference,
                "amount": str(p.amount.amount),
                "paid_at": p.paid_at,
                "period": p.period,
            }
            for p in made
        ],
        "owed_to_date": str(owed),
        "paid_to_date": str(paid),
        "outstanding": str(owed - paid),
    }
    print(json.dumps(document, ensure_ascii=False, indent=1))
    return 0


def mark_paid(developer_id: str, amount: str, currency: str, reference: str, period: str | None) -> int:
    from datetime import UTC, datetime

    from carbonneutral import services
    from carbonneutral.domain.money import Money
    from carbonneutral.errors import DomainError

    try:
        money = Money(amount=Decimal(amount), currency=currency)
        made = services.ledger().mark_paid(developer_id, money, reference, datetime.now(UTC), period)
    except (DomainError, ArithmeticError, ValueError) as exc:
        print(f"refused: {getattr(exc, 'detail', exc)}", file=sys.stderr)
        return 1
    print(f"{developer_id}: payout {made.reference} of {made.amount.amount} {made.amount.currency} recorded")
    return 0


def audit_money(sales: dict[str, list[Any]]) -> list[str]:
    """Refunds due and paid, open disputes, and each developer's owed = paid + outstanding (each
    developer's sales, read once, are kept in `sales` for `audit_sold`: on a stack taking purchases, a
    sale made between the two checks can show as a breach of the second, as one made between any two
    reads of an audit can; run it again)."""
    from carbonneutral import services

    ledger = services.ledger()
    refunds = ledger.refunds()
    for status in ("due", "refunded"):
        found = [r for _, r in refunds if r.status == status]
        total = sum((r.amount.amount for r in found), start=Decimal(0))
        print(f"refunds {status}: {len(found)}, {total} CNY")
    for order_id, refund in refunds:
        if refund.status == "due":
            print(f"  due {order_id}: {refund.amount.amount} {refund.amount.currency} ({refund.reason})")
    for order in ledger.retired_orders():  # retirement is final; the money's fate is shown
        if order.dispute is not None:
            print(f"dispute {order.dispute.status} on retired order {order.order_id}")
    breaches: list[str] = []
    seen: set[str] = set()
    for project, _ in ledger.projects():
        developer = project.developer.company_id
        if developer in seen:
            continue
        seen.add(developer)
        totals = ledger.payout_totals(developer)
        owed, paid, _ = totals
        print(f"developer {developer}: owed {owed} = paid {paid} + outstanding {owed - paid}")
        sales[developer] = ledger.sales(developer)
        breaches += ledger.payout_audit(developer, totals, sales[developer])
    return breaches


def audit_sold(sales: dict[str, list[Any]] | None = None) -> list[str]:
    """Each project's counted sales (sold, sold_kg in its counters, which its page shows) against its
    developer's sales of it: all of them once they cover every kg retired, else those made since
    (`sales`: each developer's as read already; those missing are read here)."""
    from carbonneutral import services

    ledger, breaches, sales = services.ledger(), [], {} if sales is None else sales
    for project_id in ledger.project_ids():
        found = ledger.project_sold(project_id)
        if found is None:
            continue
        project, inventory, sold, sold_kg = found
        developer = project.developer.company_id
        if developer not in sales:
            sales[developer] = ledger.sales(developer)
        mine = [x for x in sales[developer] if x.project_id == project.project_id]
        earlier = [x for x in mine if not x.counted]
        if sum(x.kg for x in mine) != inventory.retired_kg:
            breaches.append(
                f"sold {project.project_id}: {inventory.retired_kg} kg retired, its sales hold other kg"
            )
        if sold_kg < inventory.retired_kg:
            print(
                f"sold {project.project_id}: {len(earlier)} sales from before the count; `count-sales` adds them"
            )
            mine = [x for x in mine if x.counted]
        amount, kg = sum((x.amount.amount for x in mine), start=Decimal(0)), sum(x.kg for x in mine)
        if (amount, kg) != (sold, sold_kg) or sold_kg > inventory.retired_kg:
            breaches.append(
                f"sold {project.project_id}: counted {sold} for {sold_kg} kg, its {len(mine)} sales "
                f"add up to {amount} for {kg} kg, {inventory.retired_kg} kg are retired"
            )
    return breaches


def count_sales() -> int:
    """Adds each project's sales from before it counted them to its counters, once."""
    from carbonneutral import services

    ledger = services.ledger()
    sales: dict[str, list[Any]] = {}  # each developer's, read once for all its projects
    for project, _ in ledger.projects():
        developer = project.developer.company_id
        if developer not in sales:
            sales[developer] = ledger.sales(developer)
        added = ledger.count_earlier_sales(project.project_id, developer, sales[developer])
        if added is None:
            print(f"{project.project_id}: counted before, nothing added")
        else:
            print(f"{project.project_id}: added {added[0]} {project.currency} for {added[1]} kg")
    return 0


def record_issuances() -> int:
    """Records the serials of each project issued before the issuance records, once."""
    from carbonneutral import services
    from carbonneutral.errors import DomainError

    ledger, refused = services.ledger(), 0
    for project_id in ledger.project_ids():
        try:
            kg = ledger.record_issued(project_id)
        except DomainError as exc:
            print(f"{project_id}: refused: {exc.detail}", file=sys.stderr)
            refused += 1
            continue
        print(
            f"{project_id}: "
            + ("every issuance recorded, nothing added" if kg is None else f"recorded {kg} kg issued")
        )
    return 1 if refused else 0


def audit_registry() -> list[str]:
    """Each project's public chain: intact (domain.registry.check_chain) and holding every kg retired."""
    from carbonneutral import services

    ledger, breaches = services.ledger(), []
    for project, inventory in ledger.projects():
        problems, records = ledger.chain_problems(project.project_id, inventory.retired_kg)
        print(f"registry {project.project_id}: {len(records)} records, {sum(r.kg for r in records)} kg")
        breaches += [f"registry {project.project_id}: {p}" for p in problems]
    return breaches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--local", action="store_true", help="use the stack `make run` started")
    commands = parser.add_subparsers(dest="command", required=True)
    importer = commands.add_parser("import-issuance", help="register projects and issue credit blocks")
    importer.add_argument("file", type=Path)
    commands.add_parser("audit", help="check the credit invariants of every project")
    commands.add_parser("payouts", help="money owed to each project developer")
    refunds = commands.add_parser("refunds", help="pay the refunds due back through their provider")
    refunds.add_argument("--order", help="only this order's refunds")
    refunds.add_argument("--list", action="store_true", help="list them without paying")
    statement_of = commands.add_parser("statement", help="a developer's sales and payouts")
    statement_of.add_argument("developer_id")
    statement_of.add_argument("--period", help="YYYY-MM or YYYY")
    statement_of.add_argument("--format", choices=["json", "csv"], default="json")
    marking = commands.add_parser("mark-paid", help="record a payout to a developer, once per bank reference")
    marking.add_argument("developer_id")
    marking.add_argument("--amount", required=True)
    marking.add_argument("--currency", default="CNY")
    marking.add_argument("--reference", required=True, help="the bank transfer's reference")
    marking.add_argument("--period", help="the period it settles (YYYY-MM)")
    commands.add_parser("count-sales", help="once: add sales from before projects counted them")
    commands.add_parser(
        "record-issuances", help="once: record the serials of projects issued before issuances were recorded"
    )
    create_key = commands.add_parser("create-organizer-key", help="a new API key for an organizer")
    create_key.add_argument("organizer_id")
    create_key.add_argument("--name", required=True, help="what the key is for, e.g. the event team")
    revoke_key = commands.add_parser("revoke-organizer-key", help="revoke an API key by its id")
    revoke_key.add_argument("key_id")
    init = commands.add_parser("init-secrets", help="create the stack's SSM parameters (never overwrites)")
    init.add_argument("--path", default="/carbon-neutral", help="the SecretsPath parameter of the stack")
    init.add_argument("--kid", default="cert-1", help="the id of the first certificate signing key")
    put = commands.add_parser("put-secret", help="store one SecureString parameter, read from standard input")
    put.add_argument(
        "name",
        # the signing key and the published keys change together, through rotate-certificate-key
        choices=[n for n in STACK_PARAMETERS if not n.startswith("certificate-")],
    )
    put.add_argument("--path", default="/carbon-neutral")
    rotate = commands.add_parser("rotate-certificate-key", help="sign new certificates with a new key")
    rotate.add_argument("--kid", required=True, help="the new key's id, never used before, e.g. cert-2")
    rotate.add_argument("--path", default="/carbon-neutral")
    args = parser.parse_args(argv)
    if args.local:
        use_local_stack()
    if args.command == "init-secrets":
        return init_secrets(args.path.rstrip("/"), args.kid)
    if args.command == "put-secret":
        return put_secret(args.path.rstrip("/"), args.name, sys.stdin.read())
    if args.command == "rotate-certificate-key":
        return rotate_certificate_key(args.path.rstrip("/"), args.kid)
    from carbonneutral import services
    from carbonneutral.errors import DomainError

    from infrastructure.local.bootstrap import import_issuance

    if args.command in ("create-organizer-key", "revoke-organizer-key"):
        return organizer_keys(args)
    if args.command == "refunds":
        return pay_refunds(args.order, args.list)
    if args.command == "statement":
        if args.period and not re.fullmatch(r"\d{4}(-\d{2})?", args.period):
            print("refused: --period is YYYY or YYYY-MM", file=sys.stderr)
            return 1
        return statement(args.developer_id, args.period, args.format)
    if args.command == "mark-paid":
        return mark_paid(args.developer_id, args.amount, args.currency, args.reference, args.period)
    if args.command == "count-sales":
        return count_sales()
    if args.command == "record-issuances":
        return record_issuances()
    ledger = services.ledger()
    if args.command == "import-issuance":
        try:
            for raw in read_issuance(args.file):
                kg = import_issuance(ledger, raw)
                print(f"{raw['project']['project_id']}: issued {kg} kg")
        except (DomainError, KeyError, ValueError) as exc:
            print(f"refused: {getattr(exc, 'detail', exc)}", file=sys.stderr)
            return 1
        return 0
    if args.command == "audit":
        breaches = [f"{b.project_id}: {b.problem}" for b in ledger.audit()]
        for project, inventory in ledger.projects():
            print(
                f"{project.project_id}: issued {inventory.issued_kg} = available {inventory.available_kg} "
                f"+ reserved {inventory.reserved_kg} + retired {inventory.retired_kg}"
            )
        for project_id in ledger.unrecorded():
            print(
                f"{project_id}: issued before issuances were recorded; `record-issuances` lets the audit check its serials"
            )
        breaches += audit_scenes()
        sales: dict[str, list[Any]] = {}  # each developer's, read once for both checks
        breaches += audit_money(sales)
        breaches += audit_sold(sales)
        breaches += audit_registry()
        for breach in breaches:
            print(f"BREACH {breach}", file=sys.stderr)
        print("audit: " + ("no breaches" if not breaches else f"{len(breaches)} breaches"))
        return 1 if breaches else 0
    seen = set()
    for project, _ in ledger.projects():
        developer = project.developer
        if developer.company_id in seen:
            continue
        seen.add(developer.company_id)
        owed, paid, kg = ledger.payout_totals(developer.company_id)
        print(
            f"{developer.company_id} ({developer.name.en}): owed {owed} {project.currency} for {kg} kg retired, "
            f"paid {paid}, outstanding {owed - paid}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
