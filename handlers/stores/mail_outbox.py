"""The mail outbox: notices waiting for their owner's digest mail (handlers/contract.py,
MailOutboxTable; handlers/pipeline/mail_digest.py says when they wait)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

from handlers.contract import MailOutboxTable
from handlers.pipeline.notices import Notice
from handlers.stores.batch_writes import write_all

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEEP_SECONDS: Final = 24 * 3600  # an item not sent by then expires (DynamoDB's TTL removes it)
# A digest's item saying it was sent: before any notice id (hex digits) in its partition.
SENT: Final = "#sent"
NOTICE: Final = "notice"  # the notice's fields, as JSON
TO: Final = "to"
POSTED: Final = "posted_at"


@dataclass(frozen=True)
class Posted:
    """A notice in the outbox, the address it was posted for, and when."""

    notice: Notice
    to: str
    posted_at: float


def notice_id(notice: Notice) -> str:
    """The same notice, posted again, is the same item."""
    fields = json.dumps(asdict(notice), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(fields.encode()).hexdigest()[:32]


class MailOutbox:
    """One outbox table, through a boto3 DynamoDB client."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table_name = table_name
        self.client = client

    def put(self, digest: str, notice: Notice, to: str, posted_at: float) -> None:
        item = {
            MailOutboxTable.KEY: {"S": digest},
            MailOutboxTable.SORT: {"S": notice_id(notice)},
            NOTICE: {"S": json.dumps(asdict(notice), ensure_ascii=False)},
            TO: {"S": to},
            POSTED: {"N": repr(posted_at)},
            MailOutboxTable.EXPIRES: {"N": str(int(posted_at) + KEEP_SECONDS)},
        }
        self.client.put_item(TableName=self.table_name, Item=item)

    def waiting(self, digest: str) -> list[Posted]:
        """The digest's notices, oldest first (a strongly consistent read: all that were posted);
        none once it is marked sent (its notices may still be being cleared)."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#digest = :digest",
            "ExpressionAttributeNames": {"#digest": MailOutboxTable.KEY},
            "ExpressionAttributeValues": {":digest": {"S": digest}},
            "ConsistentRead": True,
        }
        posted: list[Posted] = []
        while True:
            response = self.client.query(**request)
            items = response.get("Items", [])
            if any(item[MailOutboxTable.SORT]["S"] == SENT for item in items):
                return []
            posted += [_posted(item) for item in items]
            if "LastEvaluatedKey" not in response:
                return sorted(posted, key=lambda one: (one.posted_at, one.notice.file_name))
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def mark_sent(self, digest: str, now: float) -> None:
        """Say the digest was sent, before its notices are cleared: a message of the digest read
        while they are would otherwise find some of them, and send those again."""
        item = {
            MailOutboxTable.KEY: {"S": digest},
            MailOutboxTable.SORT: {"S": SENT},
            MailOutboxTable.EXPIRES: {"N": str(int(now) + KEEP_SECONDS)},
        }
        self.client.put_item(TableName=self.table_name, Item=item)

    def clear(self, digest: str, sent: list[Posted]) -> None:
        """Forget the digest's notices that were sent (once it is marked sent)."""
        keys = [
            {MailOutboxTable.KEY: {"S": digest}, MailOutboxTable.SORT: {"S": notice_id(one.notice)}} for one in sent
        ]
        write_all(self.client, self.table_name, [{"DeleteRequest": {"Key": key}} for key in keys])


def _posted(item: dict[str, Any]) -> Posted:
    return Posted(Notice(**json.loads(item[NOTICE]["S"])), item[TO]["S"], float(item[POSTED]["N"]))
