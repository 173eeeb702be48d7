"""A document's stored file goes with its row, however the row is deleted.

The one signal of the app, on purpose: besides reenrollment.services.document_delete, document
rows also go by cascade (a family or a pre-registration deleted in the admin) and by queryset
deletes (the admin's bulk delete, the retention purge), which no service sees. The file is
deleted only once the deletion is committed: a rolled-back deletion keeps its file.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete

from reenrollment.models import Document, PreRegistrationDocument

logger = logging.getLogger(__name__)


def delete_stored_file(
    sender: type[Document | PreRegistrationDocument],
    instance: Document | PreRegistrationDocument,
    using: str,
    **kwargs: Any,
) -> None:
    name = instance.file.name
    if not name:
        return
    storage = instance.file.storage

    def delete() -> None:
        storage.delete(name)
        logger.info("Stored file %s deleted with its %s", name, sender.__name__)

    # robust: the deletion is committed by then; a storage failure leaves an orphan file
    # (logged), never an error for the person who deleted the document.
    transaction.on_commit(delete, using=using, robust=True)


def connect() -> None:
    for model in (Document, PreRegistrationDocument):
        post_delete.connect(delete_stored_file, sender=model, dispatch_uid=f"file-{model.__name__}")
