"""What a descriptive search answers (:func:`leds.search.service.search`).  The query
itself is :class:`leds.checks.models.SearchQuery`, shared with the web form."""

from __future__ import annotations

from pydantic import BaseModel, Field

from leds.records.models import Fact


class SearchResult(Fact):
    """A person record the caller may see, as they may see it (redacted fields are empty)."""

    person_id: str = Field(description="Its national person id, or its own key before it is matched.")
    name: str
    aliases: list[str]
    birth_dates: list[str]
    sex: str | None
    height_cm: int | None
    marks: list[str]
    dataset: str | None


class SearchPage(BaseModel):
    """One page of results, with the total and facets over every visible match (at most
    ``SEARCH_CAP``; ``more`` says there were more: narrow the search)."""

    total: int
    more: bool
    page: int
    per_page: int
    pages: int
    results: list[SearchResult]
    facets: dict[str, dict[str, int]] = Field(description="Counts by force, dataset and sex (`unknown` for none).")
