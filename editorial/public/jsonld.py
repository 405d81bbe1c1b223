"""The public page as schema.org markup: a ``MedicalWebPage`` in JSON-LD, for search engines.

Built from the same ``PublicPage`` as the public endpoint, so it says nothing the page does not:
``reviewedBy`` lists exactly the page's reviewers (approvals that stand under the approval rules,
never a member with a conflict of interest in force), and a page whose text was never approved
(pending human review) has neither ``reviewedBy`` nor ``lastReviewed``. An approval that no longer
stands (review overdue) keeps its date and reviewers, as the page's review line does.

Choices, each with its reason (docs/architecture.md, "The public read side"):

- ``audience`` is a ``MedicalAudience`` (a ``PeopleAudience`` for medical pages) of type
  ``Clinician``: the articles are clinical question-and-answer pages written for health
  professionals; ``Patient`` would promise plain-language content they do not claim to be.
- ``specialty`` and each reviewer's ``knowsAbout`` name the ``MedicalSpecialty`` member of
  schema.org where ours maps to one (``MEDICAL_SPECIALTIES``), else the specialty's name as text.
- ``about`` is that specialty too: we record no condition or drug per article, and inventing one
  from the title would be guessing.
- A reference with a DOI or a PubMed id is a ``ScholarlyArticle`` (with ``sameAs`` for the DOI's
  and PubMed's URLs); any other (a guideline, a web page) is a ``CreativeWork``.
- ``text`` is the shown version's text as readers see it, without the Markdown: the page is one
  answer, so the text is the page's own, rather than a separate ``mainEntity``.
- ``digitalSourceType`` (CreativeWork's, with the IPTC digital source codes schema.org lists)
  says when a model wrote the shown text: ``TrainedAlgorithmicMediaDigitalSource`` for
  ``ai_generated``, ``CompositeWithTrainedAlgorithmicMediaDigitalSource`` (a person's work combined
  with a model's) for ``ai_assisted``; a person's text, or one whose provenance was not recorded,
  has none (schema.org has no code for "written by a person" that we could claim for it).
- The page's own URL is the public site's to give (it is not ours to know), so there is none.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from articles.models import Reference
from articles.provenance import Provenance
from editorial.comments.text import html_text
from editorial.public.selectors import PublicPage, ReviewState
from reviewers.models import BoardMember, Specialty

CONTEXT = "https://schema.org"
SCHEMA = "https://schema.org/"

# Our specialties by slug, and the member of schema.org's MedicalSpecialty enumeration each is.
MEDICAL_SPECIALTIES = {
    "anesthesia": "Anesthesia",
    "anaesthesia": "Anesthesia",
    "cardiology": "Cardiovascular",
    "dermatology": "Dermatology",
    "emergency-medicine": "Emergency",
    "endocrinology": "Endocrine",
    "gastroenterology": "Gastroenterologic",
    "genetics": "Genetic",
    "geriatrics": "Geriatric",
    "gynecology": "Gynecologic",
    "gynaecology": "Gynecologic",
    "hematology": "Hematologic",
    "haematology": "Hematologic",
    "infectious-diseases": "Infectious",
    "medical-oncology": "Oncologic",
    "oncology": "Oncologic",
    "nephrology": "Renal",
    "neurology": "Neurologic",
    "obstetrics": "Obstetric",
    "otolaryngology": "Otolaryngologic",
    "pathology": "Pathology",
    "pediatrics": "Pediatric",
    "paediatrics": "Pediatric",
    "pharmacy": "PharmacySpecialty",
    "primary-care": "PrimaryCare",
    "psychiatry": "Psychiatric",
    "public-health": "PublicHealth",
    "pulmonology": "Pulmonary",
    "respiratory-medicine": "Pulmonary",
    "rheumatology": "Rheumatologic",
    "surgery": "Surgical",
    "urology": "Urologic",
}

AUDIENCE = {"@type": "MedicalAudience", "audienceType": "Clinician"}

# The IPTC digital source code (a schema.org IPTCDigitalSourceEnumeration member) of each
# machine-written provenance.
DIGITAL_SOURCE_TYPES = {
    Provenance.AI_GENERATED: "TrainedAlgorithmicMediaDigitalSource",
    Provenance.AI_ASSISTED: "CompositeWithTrainedAlgorithmicMediaDigitalSource",
}


def specialty_markup(specialty: Specialty) -> dict[str, str] | str:
    """The schema.org ``MedicalSpecialty`` our specialty is, or its name where none fits."""
    member = MEDICAL_SPECIALTIES.get(specialty.slug)
    if member is None:
        return specialty.name
    return {"@type": "MedicalSpecialty", "@id": SCHEMA + member, "name": specialty.name}


def reviewer_markup(member: BoardMember) -> dict[str, Any]:
    person: dict[str, Any] = {"@type": "Person", "name": member.display_name}
    if member.credentials:
        person["honorificSuffix"] = member.credentials
    specialties = [specialty_markup(specialty) for specialty in member.specialties.all()]
    if specialties:
        person["knowsAbout"] = specialties
    return person


def citation_markup(reference: Reference) -> dict[str, Any]:
    same_as = []
    if reference.doi:
        same_as.append(f"https://doi.org/{reference.doi}")
    if reference.pmid:
        same_as.append(f"https://pubmed.ncbi.nlm.nih.gov/{reference.pmid}/")
    work: dict[str, Any] = {
        "@type": "ScholarlyArticle" if same_as else "CreativeWork",
        "name": reference.citation,
    }
    if reference.url:
        work["url"] = reference.url
    if same_as:
        work["sameAs"] = same_as
    if reference.source:
        work["isPartOf"] = {"@type": "CreativeWork", "name": reference.source}
    if reference.year:
        work["datePublished"] = str(reference.year)
    return work


def _date_time(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).isoformat()


def medical_web_page(page: PublicPage) -> dict[str, Any]:
    """The ``MedicalWebPage`` JSON-LD object for a public page (see the module's docstring)."""
    article, version = page.article, page.version
    markup: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "MedicalWebPage",
        "headline": version.title,
        "name": version.title,
        "text": html_text(page.body_html),
        "dateModified": _date_time(version.created_at),
        "specialty": specialty_markup(article.specialty),
        "about": specialty_markup(article.specialty),
        "audience": AUDIENCE,
    }
    first_approved_at = getattr(article, "first_approved_at", None)
    if first_approved_at is not None:
        markup["datePublished"] = _date_time(first_approved_at)
    if page.review.state != ReviewState.NONE and page.review.reviewed_at is not None:
        markup["lastReviewed"] = timezone.localdate(page.review.reviewed_at).isoformat()
        if page.reviewers:
            markup["reviewedBy"] = [reviewer_markup(member) for member in page.reviewers]
    digital_source = DIGITAL_SOURCE_TYPES.get(version.provenance)
    if digital_source is not None:
        markup["digitalSourceType"] = {
            "@type": "IPTCDigitalSourceEnumeration",
            "@id": SCHEMA + digital_source,
        }
    citations = [citation_markup(reference) for reference in version.references.all()]
    if citations:
        markup["citation"] = citations
    return markup
