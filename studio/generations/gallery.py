"""The galleries' filters and keyset paging.

A page is one query, whatever its length or position: the generations are read with their
project, workspace and maker joined in and each one's star as an Exists() subquery, ordered
by (created_at, id) and cut after the cursor, so the database walks the gallery_ws_idx /
gallery_creator_idx indexes (Generation.Meta.indexes) instead of counting past an offset.

The cursor is the public code of the last item shown: opaque, and no integer id leaves the
server. Resolving it to its (created_at, id) position costs one more query on later pages.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studio.generations.cards import CardRow, card_rows
from studio.generations.models import AspectRatio, Favorite, Generation, Status
from studio.lib.forms import BoundedDateField

if TYPE_CHECKING:
    from studio.accounts.models import User
    from studio.generations.models import GenerationQuerySet

ChoiceList = Sequence[tuple[str, str]]

PAGE_SIZE = 24
SEARCH_MAX_LENGTH = 200

STATUS_FILTERS = {
    "succeeded": Q(status=Status.SUCCEEDED),
    "active": Q(status__in=[Status.PENDING, Status.SUBMITTED]),
    "failed": Q(status=Status.FAILED),
    "cancelled": Q(status=Status.CANCELLED),
    "all": Q(),
}


class GalleryFilters(forms.Form):
    """The filter bar. Invalid values are reported and left out; the valid ones still apply."""

    q = forms.CharField(
        label=_("Search prompts"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("lantern, 灯笼…")}),
    )
    workspace = forms.ChoiceField(label=_("Workspace"), required=False)
    project = forms.ChoiceField(label=_("Project"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("succeeded", _("Done")),
            ("active", _("In progress")),
            ("failed", _("Failed")),
            ("cancelled", _("Cancelled")),
            ("all", _("Any status")),
        ],
    )
    creator = forms.ChoiceField(label=_("Made by"), required=False)
    ratio = forms.ChoiceField(
        label=_("Aspect ratio"),
        required=False,
        choices=[("", _("Any ratio")), *AspectRatio.choices],
        widget=forms.RadioSelect,
    )
    date_from = BoundedDateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = BoundedDateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    starred = forms.BooleanField(label=_("Starred only"), required=False)
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("newest", _("Newest first")), ("oldest", _("Oldest first"))],
    )

    def __init__(
        self,
        data: Mapping[str, Any],
        *,
        projects: ChoiceList,
        workspaces: ChoiceList | None = None,
        creators: ChoiceList | None = None,
    ) -> None:
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["project"]).choices = [("", _("All projects")), *projects]
        if workspaces is None:
            del self.fields["workspace"]
        else:
            cast(forms.ChoiceField, self.fields["workspace"]).choices = [
                ("", _("All workspaces")),
                *workspaces,
            ]
        if creators is None:
            del self.fields["creator"]
        else:
            cast(forms.ChoiceField, self.fields["creator"]).choices = [("", _("Anyone")), *creators]

    def values(self) -> dict[str, Any]:
        """The filters that validated; a bad date or an unknown project is simply not applied."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None, False)}


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def mark_starred(generation: Generation, starred: bool) -> None:
    """Give one generation the `is_starred` mark that filtered() annotates on gallery rows, for the
    views that draw a single generation's star."""
    setattr(generation, "is_starred", starred)  # noqa: B010 (an annotation, unknown to the model class)


def filtered(queryset: GenerationQuerySet, values: dict[str, Any], user: User) -> GenerationQuerySet:
    """Apply the filter bar's values and mark each generation with the user's star."""
    starred = Favorite.objects.filter(user=user, generation=OuterRef("pk"))
    queryset = queryset.annotate(is_starred=Exists(starred)).filter(
        STATUS_FILTERS[values.get("status", "succeeded")]
    )
    # icontains is LIKE on SQLite (ASCII case folding; CJK has no case) and UPPER() LIKE
    # UPPER() on PostgreSQL: either way "Lantern" finds "lantern" and "灯笼" finds "湖上的灯笼".
    for term in values.get("q", "").split():
        queryset = queryset.filter(prompt__icontains=term)
    if "workspace" in values:
        queryset = queryset.filter(workspace__code=values["workspace"])
    if "project" in values:
        queryset = queryset.filter(project__code=values["project"])
    if "creator" in values:
        queryset = queryset.filter(created_by__username=values["creator"])
    if "ratio" in values:
        queryset = queryset.filter(aspect_ratio=values["ratio"])
    if "date_from" in values:
        queryset = queryset.filter(created_at__gte=_local_midnight(values["date_from"]))
    if "date_to" in values:
        queryset = queryset.filter(created_at__lt=_local_midnight(values["date_to"] + timedelta(days=1)))
    if values.get("starred"):
        queryset = queryset.filter(Exists(starred))
    return card_rows(queryset)


@dataclass
class Page:
    # CardRows, until a page that draws its cards turns them into Generations (cards.as_models).
    items: list[Any]
    next_cursor: str | None
    is_first: bool


def page_of(
    queryset: GenerationQuerySet,
    *,
    cursor: str | None,
    oldest: bool,
    user: User,
    size: int = PAGE_SIZE,
    whole_takes: bool = False,
) -> Page:
    """One page after `cursor` (the code of the last item seen), newest or oldest first.

    With whole_takes, takes made together are not split between pages: a shot that would run
    over the end of the page moves whole to the next one (unless it is all the page has).
    """
    queryset = queryset.order_by(*(("created_at", "id") if oldest else ("-created_at", "-id")))
    position = _position(cursor, user)
    if position is not None:
        created_at, pk = position
        # The plain bound lets the index seek to the cursor; the OR then breaks ties on id.
        if oldest:
            queryset = queryset.filter(created_at__gte=created_at).filter(
                Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=pk)
            )
        else:
            queryset = queryset.filter(created_at__lte=created_at).filter(
                Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=pk)
            )
    items = [CardRow(values) for values in cast("Iterable[dict[str, Any]]", queryset[: size + 1])]
    more = len(items) > size
    if more and whole_takes and items[size].take_group:
        shot = items[size].take_group
        cut = size
        while cut > 1 and items[cut - 1].take_group == shot:
            cut -= 1
        if items[cut - 1].take_group != shot:
            size = cut
    items = items[:size]
    return Page(items=items, next_cursor=str(items[-1].code) if more else None, is_first=position is None)


def _position(cursor: str | None, user: User) -> tuple[datetime, int] | None:
    """Where a cursor points; an unknown or foreign one starts again from the top."""
    if not cursor:
        return None
    try:
        code = uuid.UUID(cursor)
    except ValueError:
        return None
    return Generation.objects.visible_to(user).filter(code=code).values_list("created_at", "id").first()
