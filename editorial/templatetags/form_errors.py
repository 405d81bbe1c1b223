"""Refused forms, said where the eye is: a banner at the top of the page listing what to fix, each
item a link to its field, and the first field with an error given the focus (``autofocus``), so
that the browser takes the person there while the banner stays in view at the top."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template

register = template.Library()


@dataclass(frozen=True)
class Problem:
    label: str
    messages: list[str]
    target: str  # the id of the field to go to; empty for a problem of the whole form


def _target(bound: forms.BoundField) -> str:
    # A group of radio buttons has no single element its label points to: go to the first one.
    return bound.id_for_label or (f"{bound.auto_id}_0" if bound.auto_id else "")


def _problems(forms_: tuple[forms.Form | None, ...]) -> list[Problem]:
    found = []
    for form in forms_:
        if form is None or not form.is_bound or not form.errors:
            continue
        for message in form.non_field_errors():
            found.append(Problem(label="", messages=[str(message)], target=""))
        for bound in form:
            if bound.errors:
                found.append(Problem(str(bound.label), [str(m) for m in bound.errors], _target(bound)))
    return found


def _focus_first_error(forms_: tuple[forms.Form | None, ...], unrendered: str = "") -> None:
    """Mark the first field with an error to take the focus when the page loads. Called before the
    fields render (the banner comes first on the page), on this request's own copy of the form.
    ``unrendered`` names fields the template draws by hand (not through their widget), which
    cannot take the attribute: the next field with an error takes the focus instead."""
    skipped = set(unrendered.split())
    for form in forms_:
        if form is None or not form.is_bound or not form.errors:
            continue
        for bound in form:
            if bound.errors and bound.name not in skipped:
                bound.field.widget.attrs["autofocus"] = True
                return


@register.inclusion_tag("editorial/admin/_form_error_banner.html")
def form_error_banner(*forms_: forms.Form | None, lead: str = "Nothing was changed.") -> dict[str, Any]:
    """The banner for the page's refused forms (none when nothing was refused); focuses the first
    field to fix."""
    problems = _problems(forms_)
    _focus_first_error(forms_)
    return {"problems": problems, "lead": lead}


@register.simple_tag
def focus_first_error(*forms_: forms.Form | None, unrendered: str = "") -> str:
    """Only the focus, for pages whose refusal is already said at the top as a message (the
    chiefs' desk: "Nothing was changed." and what to fix)."""
    _focus_first_error(forms_, unrendered)
    return ""
