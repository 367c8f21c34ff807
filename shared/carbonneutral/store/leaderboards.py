"""Leaderboards in DynamoDB, updated in the retirement's own transaction.

  LB#{board}#{entity}#{period}#{shard} / E#{entry_id}   an entry; GSI2 sorts a board by score
                                                       under one of INDEX_SHARDS keys (below)
  LBH#{board}#{entity}#{period}#{shard} / C             coarse histogram: b{bucket} = count
  LBH#{board}#{entity}#{period}#{shard} / F#{bucket}    fine histogram: s{score} = count
  SCENESTATS#{scene_id}#{shard} / STATS                 footprint and neutralized totals

Entries and histogram counters are spread over SHARDS partition keys by entry, so no item
or partition key takes every write of a board. In GSI2 a board's entries are spread over
INDEX_SHARDS partition keys by entry as well (`{board}#{entity}#{period}` for shard 0, so entries
written before the index was sharded are where its first shard is read, and move to their own shard
with their next order; `…#i{k}` for the others). Top-N is one Query of each index shard, at once,
merged; an entry's exact rank is one GetItem and one BatchGetItem of 2 x SHARDS small items,
whatever the board's size, and its neighbours one Query each way of each index shard.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from carbonneutral import threads
from carbonneutral.domain.orders import Order, mask_name
from carbonneutral.domain.ranking import (
    ACTIVITY_PREFIX,
    DAY_FOOTPRINTS,
    DAY_NEUTRALIZED_KG,
    SCENE_TOTALS,
    SERIES_PREFIXES,
    SHARDS,
    Entry,
    RetirementHint,
    beijing_day,
    boards_for,
    bucket_of,
    buyer_of,
    counts_as,
    entry_id_for,
    rank_from_histograms,
    shard_of,
)
from carbonneutral.store import aws
from carbonneutral.store.items import n, s

# Each board's entries over this many GSI2 partition keys: an entry whose score moves is a delete and
# a put in the index, so at 1,000 retirements a second one key would take 2,000 write units a second,
# twice a partition's limit; over 4 keys, about 500 each (docs/performance.md). It may only grow, and
# must divide SHARDS: lowered, the entries under the keys no longer read would drop off the boards.
INDEX_SHARDS = 4
assert SHARDS % INDEX_SHARDS == 0


def board_key(board: str, entity: str, period: str) -> str:
    return f"{board}#{entity}#{period}"


def index_key(board: str, entity: str, period: str, shard: int) -> str:
    """GSI2's partition key for one shard of a board: shard 0 is the board's own key, where every
    entry was before the index was sharded."""
    key = board_key(board, entity, period)
    return key if shard == 0 else f"{key}#i{shard}"


def index_shard_of(entry_id: str) -> int:
    return shard_of(entry_id) % INDEX_SHARDS


def _slots_of(scene_id: str | None, retired_at: datetime) -> list[tuple[str, str]]:
    """The (board, period) pairs a retirement adds to: all time and its month, on each of its boards."""
    month = retired_at.strftime("%Y-%m")
    return [(board, period) for board in boards_for(scene_id) for period in ("all", month)]


def _entry_key(board: str, entity: str, period: str, entry_id: str) -> dict[str, Any]:
    return {"PK": s(f"LB#{board_key(board, entity, period)}#{shard_of(entry_id)}"), "SK": s(f"E#{entry_id}")}


def _hist_pk(board: str, entity: str, period: str, shard: int) -> dict[str, Any]:
    return s(f"LBH#{board_key(board, entity, period)}#{shard}")


def _sort_key(kg: int, entry_id: str) -> str:
    return f"{kg:015d}#{entry_id}"


def _entry(item: dict[str, Any]) -> Entry:
    hidden = item.get("hidden", {}).get("BOOL", False)
    return Entry(
        entry_id=item["entry_id"]["S"], name=None if hidden else item["name"]["S"], kg=int(item["kg"]["N"])
    )


def _counts(item: dict[str, Any] | None, prefix: str) -> dict[int, int]:
    if not item:
        return {}
    return {int(k[1:]): int(v["N"]) for k, v in item.items() if k.startswith(prefix) and k[1:].isdigit()}


class Leaderboards:
    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table, self._client = table_name, client

    @property
    def client(self) -> Any:
        return self._client or aws.dynamodb()

    # ---- writes, inside the retirement transaction ----

    def _slots(self, order: Order) -> tuple[str, str, list[tuple[str, str]], list[dict[str, Any]]]:
        assert order.retirement is not None
        entity = order.beneficiary.kind
        entry_id = entry_id_for(entity, order.beneficiary.name, order.participant_id, order.order_id)
        slots = _slots_of(order.scene_id, order.retirement.retired_at)
        return (
            entity,
            entry_id,
            slots,
            [_entry_key(board, entity, period, entry_id) for board, period in slots],
        )

    def contribution_keys(self, order: Order) -> list[dict[str, Any]]:
        """What `contributions` reads: the retired order's entries on its boards (the ledger reads them
        in the same request as the rest of what a retirement needs)."""
        return self._slots(order)[3]

    def hinted_keys(self, hint: RetirementHint, retired_at: datetime) -> list[dict[str, Any]]:
        """The same keys, from a retirement's hint, before its order is read."""
        slots = _slots_of(hint.scene_id, retired_at)
        return [_entry_key(board, hint.entity, period, hint.entry_id) for board, period in slots]

    def contributions(
        self, order: Order, found: Mapping[tuple[str, str], dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        """Transaction items that add a retired order to its boards and its scene's rating, given the
        items `contribution_keys` names (read here when not given)."""
        entity, entry_id, slots, keys = self._slots(order)
        if found is None:
            answer = aws.call(
                "leaderboards",
                self.client.batch_get_item,
                RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}},
            )
            found = {(i["PK"]["S"], i["SK"]["S"]): i for i in answer["Responses"].get(self._table, [])}
        items: list[dict[str, Any]] = []
        for (board, period), key in zip(slots, keys, strict=True):
            entry = found.get((key["PK"]["S"], key["SK"]["S"]))
            items += self._entry_items(board, entity, period, entry_id, order, entry)
        if order.scene_id:
            items += self._scene_items(order)
        return items

    def _scene_items(self, order: Order) -> list[dict[str, Any]]:
        """What a retired order adds to its scene's figures: see domain.ranking.rating for the rule."""
        assert order.scene_id
        part = counts_as(order)
        amount = {
            "participants": ("participants_g", order.counted_g()),
            "held": ("held_g", order.counted_g()),
            "organizer": ("organizer_kg", order.quantity_kg),
            "boards": ("explicit_kg", order.quantity_kg),
        }[part]
        orders = "explicit_orders" if part == "boards" else f"{part}_orders"
        deltas = {amount[0]: amount[1], orders: 1}
        if order.retirement:  # the day's neutralized kg, for the organizer's charts
            deltas[f"{DAY_NEUTRALIZED_KG}{beijing_day(order.retirement.retired_at)}"] = order.quantity_kg
        items = [self._stats_update(order.scene_id, order.order_id, deltas)]
        if part == "held":  # listed for the organizer, who may accept it into the rating
            items.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": {
                            "PK": s(f"SCENEHELD#{order.scene_id}"),
                            "SK": s(f"ORDER#{order.order_id}"),
                            "type": s("held_claim"),
                            "order_id": s(order.order_id),
                            "footprint_id": s(order.footprint_id or ""),
                            "counted_g": n(order.counted_g()),
                            "kg": n(order.quantity_kg),
                            "retired_at": s(
                                order.retirement.retired_at.isoformat() if order.retirement else ""
                            ),
                        },
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                }
            )
        return items

    def _stats_update(self, scene_id: str, spread_by: str, deltas: dict[str, int]) -> dict[str, Any]:
        """Adds to one of the scene's sharded totals (the shard picked by `spread_by`)."""
        pk = s(f"SCENESTATS#{scene_id}#{zlib.crc32(spread_by.encode()) % SHARDS}")
        return self._counter_update(pk, "STATS", deltas, kind="scene_stats")

    def held(self, scene_id: str) -> list[dict[str, Any]]:
        """The scene's footprint claims awaiting its organizer, oldest first."""
        answer = aws.call(
            "leaderboards",
            self.client.query,
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": s(f"SCENEHELD#{scene_id}")},
            ConsistentRead=True,
        )
        claims = [
            {
                "order_id": i["order_id"]["S"],
                "footprint_id": i["footprint_id"]["S"] or None,
                "kg": int(i["kg"]["N"]),
                "counted_kg": int(i["counted_g"]["N"]) / 1000,
                "retired_at": i["retired_at"]["S"],
            }
            for i in answer.get("Items", [])
        ]
        return sorted(claims, key=lambda c: c["retired_at"])

    def accept_held(self, scene_id: str, order_id: str) -> bool:
        """Moves a held claim into the participants' part; False when there is no such claim."""
        from botocore.exceptions import ClientError

        key = {"PK": s(f"SCENEHELD#{scene_id}"), "SK": s(f"ORDER#{order_id}")}
        item = aws.call(
            "leaderboards", self.client.get_item, TableName=self._table, Key=key, ConsistentRead=True
        ).get("Item")
        if not item:
            return False
        grams = int(item["counted_g"]["N"])
        deltas = {"held_g": -grams, "held_orders": -1, "participants_g": grams, "participants_orders": 1}
        try:
            aws.call(
                "leaderboards",
                self.client.transact_write_items,
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": key,
                            "ConditionExpression": "attribute_exists(PK)",
                        }
                    },
                    self._stats_update(scene_id, order_id, deltas),
                ],
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False  # accepted meanwhile
            raise
        return True

    def _entry_items(
        self, board: str, entity: str, period: str, entry_id: str, order: Order, found: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        key = _entry_key(board, entity, period, entry_id)
        shard = shard_of(entry_id)
        old = int(found["kg"]["N"]) if found else None
        new = (old or 0) + order.quantity_kg
        condition = ("attribute_not_exists(PK)", {}) if old is None else ("kg = :old", {":old": n(old)})
        buyer = buyer_of(order)
        # A hidden entry stays hidden. How an entry shows (its name, hiding it) changes only with an
        # order of the buyer who created it: anyone else's order adds its kg and nothing more.
        owner = found.get("owner", {}).get("S") if found else buyer
        owned = found is None or bool(buyer and owner == buyer)
        was_hidden = bool(found and found.get("hidden", {}).get("BOOL"))
        hidden = was_hidden or (order.beneficiary.hidden and owned)
        # What the public sees: a person's name masked (张*) unless they chose to show it in full.
        shown = order.beneficiary.public_name() or mask_name(order.beneficiary.name)
        name = shown if owned else found["name"]["S"]  # type: ignore[index]
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": key,
                    "UpdateExpression": (
                        "SET kg = :new, #name = :name, #hidden = :hidden, entry_id = :id, #type = :type, "
                        "GSI2PK = :board, GSI2SK = :sort"
                        + (", #owner = :owner" if found is None and buyer else "")
                    ),
                    "ConditionExpression": condition[0],
                    "ExpressionAttributeNames": {
                        "#name": "name",
                        "#type": "type",
                        "#hidden": "hidden",
                        **({"#owner": "owner"} if found is None and buyer else {}),
                    },
                    "ExpressionAttributeValues": {
                        ":new": n(new),
                        ":name": s(name),
                        ":hidden": {"BOOL": hidden},
                        **({":owner": s(buyer)} if found is None and buyer else {}),
                        ":id": s(entry_id),
                        ":type": s("leaderboard_entry"),
                        ":board": s(index_key(board, entity, period, index_shard_of(entry_id))),
                        ":sort": s(_sort_key(new, entry_id)),
                        **condition[1],
                    },
                }
            }
        ]
        pk = _hist_pk(board, entity, period, shard)
        b_old, b_new = (bucket_of(old) if old is not None else None), bucket_of(new)
        if b_old != b_new:
            coarse = {f"b{b_new}": 1, **({f"b{b_old}": -1} if b_old is not None else {})}
            items.append(self._counter_update(pk, "C", coarse))
        if b_old == b_new:
            items.append(self._counter_update(pk, f"F#{b_new}", {f"s{new}": 1, f"s{old}": -1}))
        else:
            items.append(self._counter_update(pk, f"F#{b_new}", {f"s{new}": 1}))
            if old is not None:
                items.append(self._counter_update(pk, f"F#{b_old}", {f"s{old}": -1}))
        return items

    def _counter_update(
        self, pk: dict[str, Any], sk: str, deltas: dict[str, int], kind: str | None = None
    ) -> dict[str, Any]:
        names = {f"#c{i}": name for i, name in enumerate(deltas)}
        values = {f":d{i}": n(delta) for i, delta in enumerate(deltas.values())}
        adds = ", ".join(f"#c{i} :d{i}" for i in range(len(deltas)))
        if kind:  # the item's type, for whoever reads the table
            names["#type"], values[":type"] = "type", s(kind)
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"PK": pk, "SK": s(sk)},
                "UpdateExpression": f"ADD {adds}" + (" SET #type = :type" if kind else ""),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }

    def add_footprint(
        self,
        scene_id: str,
        footprint_id: str,
        total_g: int,
        by_activity: dict[str, int] | None = None,
        day: str | None = None,
    ) -> dict[str, Any]:
        """The transaction item that counts a scene footprint in the scene's figures (not its rating):
        its total, its grams by activity, and the day's count (for the organizer's charts)."""
        deltas = {"footprint_g": total_g, "footprints": 1}
        deltas.update({f"{ACTIVITY_PREFIX}{kind}": g for kind, g in (by_activity or {}).items()})
        if day:
            deltas[f"{DAY_FOOTPRINTS}{day}"] = 1
        return self._stats_update(scene_id, footprint_id, deltas)

    # ---- reads ----

    def _index_queries(
        self, board: str, entity: str, period: str, asked: list[tuple[str, bool, dict[str, Any]]], limit: int
    ) -> list[list[dict[str, Any]]]:
        """For each (condition on GSI2SK, forward, its values) asked, the items found in each index
        shard of the board (up to `limit` from each), all queried at once (8 at most, 2 x 4 shards)."""
        client = self.client

        def one(query: tuple[int, tuple[str, bool, dict[str, Any]]]) -> list[dict[str, Any]]:
            shard, (condition, forward, values) = query
            answer = aws.call(
                "leaderboards",
                client.query,
                TableName=self._table,
                IndexName="GSI2",
                KeyConditionExpression="GSI2PK = :pk" + (f" AND GSI2SK {condition}" if condition else ""),
                ScanIndexForward=forward,
                Limit=limit,
                ExpressionAttributeValues={":pk": s(index_key(board, entity, period, shard)), **values},
            )
            return list(answer.get("Items", []))

        queries = [(shard, q) for q in asked for shard in range(INDEX_SHARDS)]
        found = threads.at_once(one, queries)
        return [
            [item for items in found[i * INDEX_SHARDS : (i + 1) * INDEX_SHARDS] for item in items]
            for i in range(len(asked))
        ]

    def top(self, board: str, entity: str, period: str, limit: int) -> list[Entry]:
        """The top entries: the top of each index shard, merged; ranks from the order itself."""
        from carbonneutral.domain.ranking import competition_ranks

        (items,) = self._index_queries(board, entity, period, [("", False, {})], limit)
        items.sort(key=lambda item: item["GSI2SK"]["S"], reverse=True)
        # An entry whose index key just changed can, for a moment, be read under both (the index
        # moves it as a delete and a put): its first one, the higher score, is the newer.
        newest: dict[str, dict[str, Any]] = {}
        for item in items:
            newest.setdefault(item["entry_id"]["S"], item)
        entries = [_entry(item) for item in list(newest.values())[:limit]]
        ranks = competition_ranks([e.kg for e in entries])
        return [Entry(e.entry_id, e.name, e.kg, r) for e, r in zip(entries, ranks, strict=True)]

    def entries_of(self, board: str, entity: str, period: str, owner: str) -> list[Entry]:
        """Every entry of one owner on a board (a person's, one per name): one query of one shard."""
        key = _entry_key(board, entity, period, owner)
        answer = aws.call(
            "leaderboards",
            self.client.query,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :sk)",
            ExpressionAttributeValues={":pk": key["PK"], ":sk": s(f"E#{owner}")},
            ConsistentRead=True,
        )
        return [_entry(item) for item in answer.get("Items", [])]

    def entry(self, board: str, entity: str, period: str, entry_id: str) -> Entry | None:
        item = aws.call(
            "leaderboards",
            self.client.get_item,
            TableName=self._table,
            Key=_entry_key(board, entity, period, entry_id),
            ConsistentRead=True,
        ).get("Item")
        return _entry(item) if item else None

    def histograms(
        self, board: str, entity: str, period: str, buckets: set[int]
    ) -> tuple[list[dict[int, int]], dict[int, list[dict[int, int]]]]:
        """(coarse shards, fine shards per bucket) in one BatchGetItem."""
        keys = []
        for shard in range(SHARDS):
            pk = _hist_pk(board, entity, period, shard)
            keys.append({"PK": pk, "SK": s("C")})
            keys += [{"PK": pk, "SK": s(f"F#{b}")} for b in sorted(buckets)]
        found: dict[tuple[str, str], dict[str, Any]] = {}
        request: dict[str, Any] = {self._table: {"Keys": keys}}
        while request:  # unprocessed keys come back under load; ask again for just those
            answer = aws.call("leaderboards", self.client.batch_get_item, RequestItems=request)
            for item in answer["Responses"].get(self._table, []):
                found[(item["PK"]["S"], item["SK"]["S"])] = item
            request = answer.get("UnprocessedKeys") or {}
        coarse: list[dict[int, int]] = []
        fine: dict[int, list[dict[int, int]]] = {b: [] for b in buckets}
        for shard in range(SHARDS):
            pk = _hist_pk(board, entity, period, shard)["S"]
            coarse.append(_counts(found.get((pk, "C")), "b"))
            for b in buckets:
                fine[b].append(_counts(found.get((pk, f"F#{b}")), "s"))
        return coarse, fine

    def rank(self, board: str, entity: str, period: str, entry: Entry) -> int:
        coarse, fine = self.histograms(board, entity, period, {bucket_of(entry.kg)})
        return rank_from_histograms(entry.kg, coarse, fine[bucket_of(entry.kg)])

    def standing(self, board: str, entity: str, period: str, entry: Entry | None) -> tuple[int, int, int]:
        """(entries on the board, the entry's rank, entries strictly below it), from the counts."""
        bucket = bucket_of(entry.kg) if entry else None
        coarse, fine = self.histograms(board, entity, period, {bucket} if bucket is not None else set())
        total = sum(sum(shard.values()) for shard in coarse)
        if entry is None or bucket is None:
            return total, 0, 0
        rank = rank_from_histograms(entry.kg, coarse, fine[bucket])
        ties = sum(shard.get(entry.kg, 0) for shard in fine[bucket])
        return total, rank, max(total - (rank - 1) - ties, 0)

    def neighbours(
        self, board: str, entity: str, period: str, entry: Entry
    ) -> tuple[Entry | None, Entry | None]:
        """The entries just above and just below: the nearest of each index shard, each way (two from
        each, so that the entry's own former place, while the index still shows it, is passed over)."""
        me = {":me": s(_sort_key(entry.kg, entry.entry_id))}
        asked = [("> :me", True, me), ("< :me", False, me)]
        higher, lower = (
            [item for item in found if item["entry_id"]["S"] != entry.entry_id]
            for found in self._index_queries(board, entity, period, asked, 2)
        )
        above = min(higher, key=lambda item: item["GSI2SK"]["S"], default=None)
        below = max(lower, key=lambda item: item["GSI2SK"]["S"], default=None)
        return (_entry(above) if above else None), (_entry(below) if below else None)

    def ranked_with_neighbours(
        self, board: str, entity: str, period: str, entry_id: str
    ) -> tuple[Entry, Entry | None, Entry | None] | None:
        """An entry with its exact rank, and the entries just above and below with theirs."""
        entry = self.entry(board, entity, period, entry_id)
        if entry is None:
            return None
        above, below = self.neighbours(board, entity, period, entry)
        buckets = {bucket_of(entry.kg)} | ({bucket_of(above.kg)} if above else set())
        coarse, fine = self.histograms(board, entity, period, buckets)
        rank = rank_from_histograms(entry.kg, coarse, fine[bucket_of(entry.kg)])
        ties = sum(shard.get(entry.kg, 0) for shard in fine[bucket_of(entry.kg)])
        if above:
            same = sum(shard.get(above.kg, 0) for shard in fine[bucket_of(above.kg)])
            above = replace(above, rank=rank if above.kg == entry.kg else rank - same)
        if below:
            below = replace(below, rank=rank if below.kg == entry.kg else rank + ties)
        return replace(entry, rank=rank), above, below

    def scene_totals(self, scene_id: str) -> dict[str, int]:
        """The scene's figures (domain.ranking.SCENE_TOTALS), summed over their shards."""
        keys = [{"PK": s(f"SCENESTATS#{scene_id}#{shard}"), "SK": s("STATS")} for shard in range(SHARDS)]
        answer = aws.call(
            "leaderboards", self.client.batch_get_item, RequestItems={self._table: {"Keys": keys}}
        )
        totals = dict.fromkeys(SCENE_TOTALS, 0)
        for item in answer["Responses"].get(self._table, []):
            for name, value in item.items():  # the named figures, and those by activity and by day
                if "N" in value and (name in totals or name.startswith(SERIES_PREFIXES)):
                    totals[name] = totals.get(name, 0) + int(value["N"])
        return totals
