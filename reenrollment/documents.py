# Placeholder: the upload processing module is being written (helper); replaced wholesale.
from typing import Any


class DocumentRejected(Exception):
    def __init__(self, message: Any, code: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


def process_upload(files: Any, *, max_bytes: int) -> Any:
    raise NotImplementedError


def page_warning(document: Any, min_pages: int | None) -> str | None:
    raise NotImplementedError


def stored_name() -> str:
    raise NotImplementedError
