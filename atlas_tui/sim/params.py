"""Request parameters as the server's ParamProcessWorker reads them.

Names are matched exactly, as ``ParamProcessWorker.processParameters`` does
(``params.get(parameterAnnotation.name())``, ~193) with the lowercase names of ``ApiConstants``:
``virtualMachineId`` is not ``virtualmachineid`` but an unknown name, and unknown names are ignored.
Only the signature check (``ApiServer.verifyRequest``) folds case, and only to sign. An empty value
counts as absent. Errors carry the server's exact texts.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TypeVar

from .errors import ApiError, invalid_value, missing_param, param_error

T = TypeVar("T")
_INT = re.compile(r"[+-]?\d+")


class Params:
    # Its methods str, int and bool shadow the builtins inside the class: annotations say builtins.

    def __init__(self, api: str, raw: Mapping[str, str]) -> None:
        self.api = api
        self.values: dict[str, str] = dict(raw)

    def has(self, name: str) -> bool:
        return bool(self.values.get(name))

    def str(self, name: str, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise missing_param(self.api, name)
            return None
        return value

    def req(self, name: builtins.str) -> builtins.str:
        value = self.str(name, required=True)
        assert value is not None
        return value

    def int(self, name: builtins.str, required: bool = False) -> int | None:
        value = self.str(name, required)
        if value is None:
            return None
        if not _INT.fullmatch(value.strip()) or not -(2**63) <= int(value) < 2**63:
            raise invalid_value(self.api, name, value)
        return int(value)

    def bool(self, name: builtins.str, default: bool = False) -> bool:
        value = self.str(name)
        if value is None:
            return default
        return value.strip().lower() == "true"  # Boolean.valueOf: anything else is false

    def entity(
        self, name: builtins.str, table: Mapping[builtins.str, T], required: builtins.bool = False
    ) -> T | None:
        value = self.str(name, required)
        if value is None:
            return None
        found = table.get(value.strip())
        if found is None:
            raise invalid_value(self.api, name, value)
        return found

    def entity_req(self, name: builtins.str, table: Mapping[builtins.str, T]) -> T:
        found = self.entity(name, table, required=True)
        assert found is not None
        return found

    def entities(self, name: builtins.str, table: Mapping[builtins.str, T]) -> list[T] | None:
        value = self.str(name)
        if value is None:
            return None
        out: list[T] = []
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            found = table.get(part)
            if found is None:
                raise invalid_value(self.api, name, value)
            out.append(found)
        return out

    def date(self, name: builtins.str) -> datetime | None:
        value = self.str(name)
        if value is None:
            return None
        for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
            try:
                parsed = datetime.strptime(value.strip(), fmt)
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        raise ApiError(
            431,
            f"Unable to parse date {value} for command {self.api.lower()}, please pass dates in "
            "the format mentioned in the api documentation",
        )

    def paging(self, max_page_size: builtins.int) -> tuple[builtins.int, builtins.int | None]:
        """(start index, page size or None for all) per BaseListCmd."""
        page = self.int("page")
        pagesize = self.int("pagesize")
        if pagesize is not None:
            if pagesize == -1 and page is not None:
                raise param_error("Can't specify page parameter when pagesize is -1 (Unlimited)")
            if pagesize > max_page_size and max_page_size != -1 and pagesize != -1:
                raise param_error(
                    f"Page size can't exceed max allowed page size value: {max_page_size}"
                )
            if page is None and pagesize != -1:
                raise param_error('"page" parameter is required when "pagesize" is specified')
        elif page is not None:
            raise param_error('"pagesize" parameter is required when "page" is specified')
        if pagesize is None or pagesize == -1:
            return 0, (None if pagesize == -1 or max_page_size <= 0 else max_page_size)
        assert page is not None
        return max(page - 1, 0) * max(pagesize, 0), max(pagesize, 0)
