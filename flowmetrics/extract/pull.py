"""What one tracker pull hands to the shared layer: the contract tables, how many items it read and the latest
update time it saw (the next cursor)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Pull:
    """A completed pull: ``tables`` by contract table name; ``latest_update`` (aware) is None when nothing came back;
    ``seen`` holds what the tracker's --types-json writes (issue types, projects...)."""

    tables: dict[str, pd.DataFrame]
    items: int
    latest_update: datetime | None
    seen: dict[str, Any] = field(default_factory=dict)
