"""The public page's schema.org markup: a MedicalWebPage in JSON-LD, in the page (``jsonld``) and
alone (``?format=jsonld``, application/ld+json), checked against the vocabulary's expected types.

``PROPERTIES`` is the part of schema.org we use, from its definitions (schema.org/MedicalWebPage,
/WebPage, /CreativeWork, /Thing, /Person, /Audience, /MedicalSpecialty): each property on the type
that defines it, with the types its values are expected to be ("range includes"). ``SUPERTYPES``
gives each type its parents, so that a property of CreativeWork is allowed on a MedicalWebPage.
Every object and every property of the markup is checked against them: an unknown type, a
property the type does not have, or a value of a type the property does not take fails the test.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from articles.models import RiskLevel
from articles.provenance import Provenance, VersionProvenance
from config.audit import audit
from editorial.public.jsonld import MEDICAL_SPECIALTIES
from reviewers.models import ConflictOfInterest
from tests.editorial.conftest import approve, in_review, refreshed
from tests.factories import ArticleFactory, BoardMemberFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db

PAGE = "/api/v1/public/articles/{}/"

# type -> {property: the types its values may be}, each property on the type that defines it.
PROPERTIES: dict[str, dict[str, set[str]]] = {
    "Thing": {"name": {"Text"}, "url": {"URL"}, "sameAs": {"URL"}},
    "CreativeWork": {
        "headline": {"Text"},
        "text": {"Text"},
        "about": {"Thing"},
        "audience": {"Audience"},
        "citation": {"CreativeWork", "Text"},
        "dateModified": {"Date", "DateTime"},
        "datePublished": {"Date", "DateTime"},
        "isPartOf": {"CreativeWork", "URL"},
        "digitalSourceType": {"IPTCDigitalSourceEnumeration"},
    },
    "WebPage": {
        "lastReviewed": {"Date"},
        "reviewedBy": {"Organization", "Person"},
        "specialty": {"Specialty"},
    },
    "MedicalWebPage": {},
    "Article": {},
    "ScholarlyArticle": {},
    "Person": {"honorificSuffix": {"Text"}, "knowsAbout": {"Text", "Thing", "URL"}},
    "Intangible": {},
    "Audience": {"audienceType": {"Text"}},
    "PeopleAudience": {},
    "MedicalAudience": {},
    "Enumeration": {},
    "MedicalEnumeration": {},
    "Specialty": {},
    "MedicalSpecialty": {},
    "MediaEnumeration": {},
    "IPTCDigitalSourceEnumeration": {},
}
SUPERTYPES: dict[str, tuple[str, ...]] = {
    "Thing": (),
    "CreativeWork": ("Thing",),
    "WebPage": ("CreativeWork",),
    "MedicalWebPage": ("WebPage",),
    "Article": ("CreativeWork",),
    "ScholarlyArticle": ("Article",),
    "Person": ("Thing",),
    "Intangible": ("Thing",),
    "Audience": ("Intangible",),
    "PeopleAudience": ("Audience",),
    "MedicalAudience": ("Audience", "PeopleAudience", "MedicalEnumeration"),
    "Enumeration": ("Intangible",),
    "MedicalEnumeration": ("Enumeration",),
    "Specialty": ("Enumeration",),
    "MedicalSpecialty": ("Specialty", "MedicalEnumeration"),
    "MediaEnumeration": ("Enumeration",),
    "IPTCDigitalSourceEnumeration": ("MediaEnumeration",),
}
# The members of schema.org's MedicalSpecialty enumeration (schema.org/MedicalSpecialty).
MEDICAL_SPECIALTY_MEMBERS = {
    "Anesthesia", "Cardiovascular", "CommunityHealth", "Dentistry", "Dermatology", "DietNutrition",
    "Emergency", "Endocrine", "Gastroenterologic", "Genetic", "Geriatric", "Gynecologic",
    "Hematologic", "Infectious", "LaboratoryScience", "Midwifery", "Musculoskeletal", "Neurologic",
    "Nursing", "Obstetric", "Oncologic", "Optometric", "Otolaryngologic", "Pathology", "Pediatric",
    "PharmacySpecialty", "Physiotherapy", "PlasticSurgery", "Podiatric", "PrimaryCare",
    "Psychiatric", "PublicHealth", "Pulmonary", "Radiography", "Renal", "RespiratoryTherapy",
    "Rheumatologic", "SpeechPathology", "Surgical", "Toxicologic", "Urologic",
}  # fmt: skip
# The members of schema.org's IPTCDigitalSourceEnumeration we use (schema.org/IPTCDigitalSourceEnumeration).
DIGITAL_SOURCE_MEMBERS = {
    "TrainedAlgorithmicMediaDigitalSource",
    "CompositeWithTrainedAlgorithmicMediaDigitalSource",
}
# schema.org accepts text where it expects a thing (its data model: "we expect that Text values
# will be used"), for a value it has no type for: our specialties with no MedicalSpecialty member.
TEXT_ACCEPTED_FOR = {"specialty", "about", "knowsAbout"}

DATE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")
DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
URL = re.compile(r"https?://[^\s]+")


def ancestors(type_: str) -> set[str]:
    assert type_ in SUPERTYPES, f"{type_} is not a type we know from schema.org"
    found = {type_}
    for parent in SUPERTYPES[type_]:
        found |= ancestors(parent)
    return found


def expected_types(type_: str, prop: str) -> set[str]:
    for owner in ancestors(type_):
        if prop in PROPERTIES[owner]:
            return PROPERTIES[owner][prop]
    raise AssertionError(f"{type_} has no property {prop}")


def literal_types(value: str) -> set[str]:
    types = {"Text"}
    if DATE.fullmatch(value):
        types.add("Date")
    if DATE_TIME.fullmatch(value):
        types.add("DateTime")
    if URL.fullmatch(value):
        types.add("URL")
    return types


def check_node(node: dict[str, Any], expected: set[str], path: str) -> list[str]:
    """Problems with one object and, recursively, everything in it."""
    type_ = node.get("@type")
    if type_ not in SUPERTYPES:
        return [f"{path}: unknown @type {type_!r}"]
    problems = []
    if not ancestors(type_) & expected:
        problems.append(f"{path}: a {type_} where {sorted(expected)} is expected")
    if "@id" in node:
        member = node["@id"].removeprefix("https://schema.org/")
        if type_ == "MedicalSpecialty" and member not in MEDICAL_SPECIALTY_MEMBERS:
            problems.append(f"{path}: {node['@id']} is not a MedicalSpecialty")
        if type_ == "IPTCDigitalSourceEnumeration" and member not in DIGITAL_SOURCE_MEMBERS:
            problems.append(f"{path}: {node['@id']} is not an IPTC digital source type")
    for prop, value in node.items():
        if prop in ("@type", "@id", "@context"):
            continue
        try:
            allowed = expected_types(type_, prop)
        except AssertionError as error:
            problems.append(f"{path}: {error}")
            continue
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            where = f"{path}.{prop}" + (f"[{index}]" if isinstance(value, list) else "")
            if isinstance(item, dict):
                problems += check_node(item, allowed, where)
            elif isinstance(item, str):
                if prop in TEXT_ACCEPTED_FOR:
                    continue
                if not literal_types(item) & allowed:
                    problems.append(f"{where}: {item!r} is not a {sorted(allowed)}")
            else:
                problems.append(f"{where}: {item!r} is not a schema.org value")
    return problems


def validate(markup: dict[str, Any]) -> None:
    assert markup["@context"] == "https://schema.org"
    assert markup["@type"] == "MedicalWebPage"
    assert check_node(markup, {"MedicalWebPage"}, "$") == []


def test_the_validator_refuses_what_schema_org_does_not_allow():
    """The check itself can fail: a wrong type, a property the type lacks, a value of the wrong kind."""
    base = {"@context": "https://schema.org", "@type": "MedicalWebPage"}
    assert check_node({**base, "lastReviewed": "last spring"}, {"MedicalWebPage"}, "$")
    assert check_node({**base, "reviewedBy": [{"@type": "Drug", "name": "x"}]}, {"MedicalWebPage"}, "$")
    assert check_node({**base, "reviewedBy": [{"@type": "Person", "credentials": "MD"}]}, {"WebPage"}, "$")
    assert check_node({**base, "audience": {"@type": "Person", "name": "x"}}, {"MedicalWebPage"}, "$")
    assert check_node(
        {**base, "specialty": {"@type": "MedicalSpecialty", "@id": "https://schema.org/Oncology"}},
        {"MedicalWebPage"},
        "$",
    )
    assert check_node(
        {**base, "citation": [{"@type": "ScholarlyArticle", "sameAs": "10.1/x"}]}, {"Thing"}, "$"
    )


@pytest.fixture
def public():
    return APIClient()


REFERENCES = [
    {"citation": "CLEOPATRA trial.", "source": "N Engl J Med", "year": 2012, "doi": "10.1056/NEJMoa1113216",
     "pmid": "22149876"},
    {"citation": "ESMO guideline.", "source": "ESMO", "url": "https://www.esmo.org/guidelines"},
    {"citation": "A textbook chapter."},
]  # fmt: skip


@pytest.fixture
def approved_article(oncology, editor):
    """An oncology article with three kinds of reference, approved by two members."""
    article = ArticleFactory(
        specialty=oncology,
        actor=editor,
        risk_level=RiskLevel.HIGH,
        body="## Short answer\n\nSix **cycles**.",
        references=REFERENCES,
    )
    first = BoardMemberFactory(specialties=[oncology], display_name="Dr Olivia Okafor", credentials="MD, PhD")
    second = BoardMemberFactory(specialties=[oncology], display_name="Dr Oskar Lindqvist", credentials="MD")
    for assignment in in_review(article, first, second):
        approve(assignment)
    return refreshed(article)


def test_an_approved_page_is_a_medical_web_page_with_its_reviewers_dates_and_citations(
    public, approved_article
):
    response = public.get(PAGE.format(approved_article.slug), {"format": "jsonld"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    markup = response.json()
    validate(markup)
    version = approved_article.published_version
    assert markup["headline"] == markup["name"] == version.title
    assert markup["text"] == "Short answer\nSix cycles."
    assert markup["lastReviewed"] == timezone.localdate(approved_article.last_reviewed_at).isoformat()
    assert datetime.datetime.fromisoformat(markup["datePublished"]) == approved_article.last_reviewed_at
    assert datetime.datetime.fromisoformat(markup["dateModified"]) == version.created_at
    oncologic = {
        "@type": "MedicalSpecialty",
        "@id": "https://schema.org/Oncologic",
        "name": "Medical oncology",
    }
    assert markup["specialty"] == markup["about"] == oncologic
    assert markup["audience"] == {"@type": "MedicalAudience", "audienceType": "Clinician"}
    assert markup["reviewedBy"] == [
        {
            "@type": "Person",
            "name": "Dr Olivia Okafor",
            "honorificSuffix": "MD, PhD",
            "knowsAbout": [oncologic],
        },
        {"@type": "Person", "name": "Dr Oskar Lindqvist", "honorificSuffix": "MD", "knowsAbout": [oncologic]},
    ]
    assert markup["citation"] == [
        {
            "@type": "ScholarlyArticle",
            "name": "CLEOPATRA trial.",
            "sameAs": ["https://doi.org/10.1056/NEJMoa1113216", "https://pubmed.ncbi.nlm.nih.gov/22149876/"],
            "isPartOf": {"@type": "CreativeWork", "name": "N Engl J Med"},
            "datePublished": "2012",
        },
        {
            "@type": "CreativeWork",
            "name": "ESMO guideline.",
            "url": "https://www.esmo.org/guidelines",
            "isPartOf": {"@type": "CreativeWork", "name": "ESMO"},
        },
        {"@type": "CreativeWork", "name": "A textbook chapter."},
    ]


def test_the_page_carries_the_same_markup_and_each_representation_its_own_etag(public, approved_article):
    url = PAGE.format(approved_article.slug)
    page = public.get(url)
    alone = public.get(url, {"format": "jsonld"})

    assert page["Content-Type"] == "application/json"
    assert page.json()["jsonld"] == alone.json()
    for response in (page, alone):
        assert response["Cache-Control"].startswith("public, max-age=")
        assert response["Vary"] == "Accept"
    assert page["ETag"] != alone["ETag"]
    assert public.get(url, {"format": "jsonld"}, HTTP_IF_NONE_MATCH=alone["ETag"]).status_code == 304
    assert public.get(url, HTTP_IF_NONE_MATCH=alone["ETag"]).status_code == 200


def test_the_accept_header_chooses_json_ld_too(public, approved_article):
    response = public.get(PAGE.format(approved_article.slug), HTTP_ACCEPT="application/ld+json")

    assert response["Content-Type"] == "application/ld+json"
    assert response.json()["@type"] == "MedicalWebPage"


def test_a_page_pending_human_review_has_no_reviewers_and_no_review_date(public, article, settings):
    settings.PUBLIC_SHOW_UNREVIEWED = True

    markup = public.get(PAGE.format(article.slug), {"format": "jsonld"}).json()

    validate(markup)
    assert "reviewedBy" not in markup
    assert "lastReviewed" not in markup
    assert "datePublished" not in markup


@pytest.mark.parametrize(
    ("kind", "member"),
    [
        (Provenance.AI_GENERATED, "TrainedAlgorithmicMediaDigitalSource"),
        (Provenance.AI_ASSISTED, "CompositeWithTrainedAlgorithmicMediaDigitalSource"),
    ],
)
def test_a_machine_written_page_says_so_with_schema_org_s_digital_source_type(
    public, oncology, editor, settings, kind, member
):
    settings.PUBLIC_SHOW_UNREVIEWED = True
    provenance = VersionProvenance(kind=kind, generator="Drafting pipeline", model_version="m-1")
    article = ArticleFactory(specialty=oncology, actor=editor, provenance=provenance)

    markup = public.get(PAGE.format(article.slug), {"format": "jsonld"}).json()

    validate(markup)
    assert markup["digitalSourceType"] == {
        "@type": "IPTCDigitalSourceEnumeration",
        "@id": f"https://schema.org/{member}",
    }
    # Not a vocabulary we would invent: the generator and model are the API's to say, not the markup's.
    assert "Drafting pipeline" not in str(markup)


def test_a_reviewer_whose_approval_no_longer_stands_is_not_named(public, approved_article, chief):
    """Only approvals valid under the approval rules: a conflict declared about the article voids
    the member's approval, and the markup drops them as the page does."""
    okafor = approved_article.published_version.review_rounds.get().assignments.get(
        reviewer__display_name="Dr Olivia Okafor"
    )
    with audit(actor=chief, reason="Declared"):
        ConflictOfInterest.objects.create(member=okafor.reviewer, article=approved_article, reason="Sponsor")

    page = public.get(PAGE.format(approved_article.slug)).json()

    validate(page["jsonld"])
    names = [person["name"] for person in page["jsonld"].get("reviewedBy", [])]
    assert "Dr Olivia Okafor" not in names
    assert names == [reviewer["name"] for reviewer in page["reviewers"]]


def test_a_specialty_schema_org_has_no_member_for_is_named_as_text(public, editor):
    specialty = SpecialtyFactory(name="Sports medicine", slug="sports-medicine")
    member = BoardMemberFactory(specialties=[specialty])
    article = ArticleFactory(specialty=specialty, actor=editor)
    (assignment,) = in_review(article, member)
    approve(assignment)

    markup = public.get(PAGE.format(article.slug), {"format": "jsonld"}).json()

    validate(markup)
    assert markup["specialty"] == markup["about"] == "Sports medicine"
    assert markup["reviewedBy"][0]["knowsAbout"] == ["Sports medicine"]


def test_every_specialty_we_map_is_a_member_of_schema_orgs_enumeration():
    assert set(MEDICAL_SPECIALTIES.values()) <= MEDICAL_SPECIALTY_MEMBERS


def test_an_unknown_format_is_refused_and_errors_stay_json(public, approved_article):
    refused = public.get(PAGE.format(approved_article.slug), {"format": "xml"})
    missing = public.get(PAGE.format("no-such-article"), {"format": "jsonld"})

    assert refused.status_code == 400
    assert refused.json()["fields"] == {"format": ["Give one of: json, api, jsonld."]}
    assert (missing.status_code, missing["Content-Type"]) == (404, "application/json")


def reviewed_by(n, oncology, editor, index, settings):
    settings.REVIEW_QUORUM = {"standard": n, "high": n}
    article = ArticleFactory(
        slug=f"reviewed-{index}",
        specialty=oncology,
        actor=editor,
        references=[{"citation": f"Reference {i}.", "doi": f"10.1000/{i}"} for i in range(n)],
    )
    members = [BoardMemberFactory(specialties=[oncology]) for _ in range(n)]
    assignments = in_review(article, *members)
    for assignment in assignments:
        approve(assignment)
    return refreshed(article)


@pytest.mark.parametrize("format_", [None, "jsonld"])
def test_the_page_costs_the_same_queries_for_one_reviewer_and_reference_as_for_many(
    public, oncology, editor, settings, django_assert_num_queries, format_
):
    one, many = reviewed_by(1, oncology, editor, 1, settings), reviewed_by(6, oncology, editor, 2, settings)
    assert len(public.get(PAGE.format(many.slug)).json()["reviewers"]) == 6
    query = {"format": format_} if format_ else {}
    counts = []
    for article in (one, many):
        with CaptureQueriesContext(connection) as queries:
            response = public.get(PAGE.format(article.slug), query)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_num_queries(counts[0]):
        public.get(PAGE.format(many.slug), query)


def test_a_past_review_keeps_its_date_and_reviewers_as_the_page_does(public, approved_article):
    """An approval past its review date is shown as a past review ("Last reviewed on ...; review
    overdue"): the markup keeps the date it was reviewed and who reviewed it, as the page does."""
    later = approved_article.review_due_at + datetime.timedelta(days=1)
    with time_machine.travel(later):
        page = public.get(PAGE.format(approved_article.slug)).json()

    validate(page["jsonld"])
    assert page["review"]["state"] == "past"
    assert page["jsonld"]["lastReviewed"] == timezone.localdate(approved_article.last_reviewed_at).isoformat()
    assert [p["name"] for p in page["jsonld"]["reviewedBy"]] == [r["name"] for r in page["reviewers"]]
