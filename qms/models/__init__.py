from .actions import Action, ProcessActiveActions
from .attachments import Attachment
from .notifications import Notification
from .outbox import OutboxMessage
from .people import OrgUnit, User
from .records import (
    OwnedRecord,
    ProcessLinkedRecord,
    RecordQuerySet,
    ReferenceCounter,
    count_each,
    count_subquery,
    detail_url,
    prefetch_linked_processes,
    prepared_count_each,
    prepared_rows,
)
from .security import SecuritySettings
from .tokens import ApiToken

__all__ = [
    "Action",
    "ApiToken",
    "Attachment",
    "Notification",
    "OrgUnit",
    "OutboxMessage",
    "OwnedRecord",
    "ProcessActiveActions",
    "ProcessLinkedRecord",
    "RecordQuerySet",
    "ReferenceCounter",
    "SecuritySettings",
    "User",
    "count_each",
    "count_subquery",
    "detail_url",
    "prefetch_linked_processes",
    "prepared_count_each",
    "prepared_rows",
]
