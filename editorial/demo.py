"""Demo data for ``manage.py seed_demo``: the people of a small board and a handful of articles.

Everything is created through the same services the application uses, so the demo's history looks
like real history: each article is played through the workflow to one of the statuses, with its
steps dated in the past. Seeding is idempotent: anything that already exists (matched by username,
specialty slug or article slug) is left exactly as it is.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.utils import timezone

from articles.models import Article, RiskLevel
from articles.provenance import Provenance, VersionProvenance
from articles.services import HUMAN_WRITTEN, create_article
from config.audit import audit
from config.security import two_factor
from editorial import services, staleness
from editorial.models import Decision, ReviewAssignment
from editorial.roles import ensure_roles
from reviewers.models import BoardMember, ConflictOfInterest, Specialty
from reviewers.roles import Role
from reviewers.services import get_system_user

SEED_REASON = "Demo data (seed_demo)"

# The demo's second factor: each demo user the admin asks for one (the board members and the chief)
# has an authenticator with this secret (base32, as authenticator apps take it). Public, like the
# demo password: for trying the system only. `manage.py demo_totp <username>` prints the current code.
DEMO_TOTP_SECRET = "MEDICALADVISORYBOARDDEMOTOTPKEYS"  # noqa: S105 - public on purpose
DEMO_TOTP_KEY_HEX = base64.b32decode(DEMO_TOTP_SECRET).hex()

SPECIALTIES = [
    ("medical-oncology", "Medical oncology"),
    ("cardiology", "Cardiology"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role
    is_staff: bool = False
    # Board members only:
    display_name: str = ""
    credentials: str = ""
    specialties: tuple[str, ...] = ()


USERS = [
    DemoUser("editor", "Erin", "Editor", Role.EDITOR),
    DemoUser("chief", "Charles", "Chief", Role.EDITOR_IN_CHIEF, is_staff=True),
    DemoUser(
        "dr_oncology1",
        "Olivia",
        "Okafor",
        Role.BOARD_MEMBER,
        is_staff=True,
        display_name="Dr Olivia Okafor",
        credentials="MD, PhD",
        specialties=("medical-oncology",),
    ),
    DemoUser(
        "dr_oncology2",
        "Oskar",
        "Lindqvist",
        Role.BOARD_MEMBER,
        is_staff=True,
        display_name="Dr Oskar Lindqvist",
        credentials="MD, FRCP",
        specialties=("medical-oncology",),
    ),
    DemoUser(
        "dr_cardiology",
        "Carmen",
        "Díaz",
        Role.BOARD_MEMBER,
        is_staff=True,
        display_name="Dr Carmen Díaz",
        credentials="MD, FESC",
        specialties=("cardiology",),
    ),
]


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    specialty: str
    risk_level: str
    title: str
    body: str
    references: tuple[dict[str, object], ...] = field(default=())
    provenance: VersionProvenance = HUMAN_WRITTEN


PHESGO_TITLE = (
    "How many cycles of Phesgo with docetaxel are recommended for HER2-positive metastatic breast cancer?"
)

PHESGO_BODY = """\
## Short answer

In first-line palliative treatment of HER2-positive metastatic breast cancer, docetaxel is given
together with Phesgo (pertuzumab and trastuzumab in one fixed-dose injection under the skin) for
**at least six cycles**, as long as the patient tolerates it. When the docetaxel part ends, Phesgo
carries on alone as maintenance until the disease progresses or side effects become unacceptable
[1].

## Why this combination

- The standard first-line treatment is a taxane combined with the two HER2 antibodies
  trastuzumab and pertuzumab [1, 2].
- Pertuzumab binds a different part of the HER2 receptor from trastuzumab, so together they block
  HER2 signalling more completely. Added to docetaxel, this dual blockade lengthened both
  progression-free and overall survival [2, 4].

## Where "six cycles" comes from

In the phase III CLEOPATRA trial docetaxel was planned for six cycles, and could continue for
longer if the investigator judged it worthwhile [4]. The ESMO guideline recommends at least six
cycles of the taxane where tolerated, followed by maintenance with the two antibodies (level of
evidence I, grade A) [1].

## Giving Phesgo

Phesgo is injected subcutaneously over about 5 to 8 minutes. The blood levels it reaches were
non-inferior to those of intravenous pertuzumab plus trastuzumab, with comparable side effects
[3].

## Safety

- Neutropenia was the most common severe (grade 3-4) side effect in CLEOPATRA: 49% of patients
  with pertuzumab and 46% with placebo [4].
- HER2-targeted drugs can weaken the heart. Monitor cardiac function during treatment, more
  closely after earlier anthracyclines or in patients with heart disease [2].

## Variations

- If docetaxel is not tolerated, paclitaxel or nab-paclitaxel can take its place [1, 5].
- For hormone-receptor-positive tumours, endocrine therapy may be added to the maintenance once
  the chemotherapy cycles are over [1].
- From the fourth line of treatment onwards there is no clear standard for the number of cycles
  [5].
"""

PHESGO_REFERENCES = (
    {
        "citation": "ESMO Clinical Practice Guideline for the diagnosis, staging and treatment of "
        "patients with metastatic breast cancer.",
        "source": "ESMO (guideline)",
    },
    {
        "citation": "Review: the treatment landscape of HER2-positive advanced breast cancer.",
        "source": "Journal review",
    },
    {
        "citation": "Review: subcutaneous fixed-dose pertuzumab/trastuzumab (Phesgo) administration.",
        "source": "Journal review",
    },
    {
        "citation": "CLEOPATRA: pertuzumab plus trastuzumab plus docetaxel for metastatic breast "
        "cancer (phase III trial).",
        "source": "N Engl J Med",
        "year": 2012,
    },
    {
        "citation": "Review: treatment sequencing and resistance in HER2-positive disease.",
        "source": "Journal review",
    },
)

# The first approved version of the Phesgo article: the current one (PHESGO_BODY) adds the
# cardiac monitoring advice and the note on later lines of treatment, so reviewers see a diff.
PHESGO_BODY_V1 = PHESGO_BODY.replace(
    """- HER2-targeted drugs can weaken the heart. Monitor cardiac function during treatment, more
  closely after earlier anthracyclines or in patients with heart disease [2].
""",
    "",
).replace(
    """- From the fourth line of treatment onwards there is no clear standard for the number of cycles
  [5].
""",
    "",
)

ARTICLES = [
    DemoArticle(
        slug="phesgo-docetaxel-cycles-her2-metastatic-breast-cancer",
        specialty="medical-oncology",
        risk_level=RiskLevel.HIGH,
        title=PHESGO_TITLE,
        body=PHESGO_BODY_V1,
        references=PHESGO_REFERENCES,
    ),
    DemoArticle(
        slug="antiemetics-highly-emetogenic-chemotherapy",
        specialty="medical-oncology",
        risk_level=RiskLevel.STANDARD,
        title="Which antiemetics prevent nausea with highly emetogenic chemotherapy?",
        body="A demonstration article: the combination of antiemetics used to prevent nausea and "
        "vomiting with highly emetogenic chemotherapy.",
    ),
    DemoArticle(
        slug="bone-metastases-bone-targeted-therapy",
        specialty="medical-oncology",
        risk_level=RiskLevel.STANDARD,
        title="When should bone-targeted therapy start for bone metastases?",
        body="A demonstration article: when to start bone-targeted treatment in patients with bone "
        "metastases.",
    ),
    DemoArticle(
        slug="immunotherapy-colitis-management",
        specialty="medical-oncology",
        risk_level=RiskLevel.STANDARD,
        title="How is colitis from immune checkpoint inhibitors managed?",
        body="A demonstration article: recognising and treating immune-related colitis.",
        # Drafted by a model and in review: the desk and the public page say so.
        provenance=VersionProvenance(
            kind=Provenance.AI_GENERATED,
            generator="Demo drafting pipeline",
            model_version="demo-model-2026-01",
            source_reference="draft-job-0001",
        ),
    ),
    DemoArticle(
        slug="statins-after-myocardial-infarction",
        specialty="cardiology",
        risk_level=RiskLevel.STANDARD,
        title="Which LDL cholesterol target after a myocardial infarction?",
        body="A demonstration article: lipid-lowering targets after a heart attack.",
    ),
    DemoArticle(
        slug="dual-antiplatelet-therapy-duration",
        specialty="cardiology",
        risk_level=RiskLevel.HIGH,
        title="How long should dual antiplatelet therapy continue after a coronary stent?",
        body="A demonstration article: the duration of dual antiplatelet therapy after stenting.",
    ),
    DemoArticle(
        slug="anticoagulation-atrial-fibrillation",
        specialty="cardiology",
        risk_level=RiskLevel.STANDARD,
        title="Which anticoagulant for atrial fibrillation?",
        body="A demonstration article: choosing an oral anticoagulant in atrial fibrillation.",
    ),
    DemoArticle(
        slug="digoxin-heart-failure",
        specialty="cardiology",
        risk_level=RiskLevel.STANDARD,
        title="Is digoxin still used in heart failure?",
        body="A demonstration article, retired: the place of digoxin in heart failure.",
    ),
]


@dataclass(frozen=True)
class Cast:
    editor: AbstractBaseUser
    chief: AbstractBaseUser
    system: AbstractBaseUser
    oncology1: AbstractBaseUser
    oncology2: AbstractBaseUser
    cardiology: AbstractBaseUser


@dataclass(frozen=True)
class Timeline:
    """Plays steps in the past, so that the demo has a believable history (an approval from last
    year that has expired, a review that is overdue). Everything the services stamp with
    ``timezone.now()`` (history rows included) gets the back-dated time."""

    now: datetime.datetime

    @contextmanager
    def at(self, *, days_ago: float) -> Iterator[None]:
        with mock.patch(
            "django.utils.timezone.now", return_value=self.now - datetime.timedelta(days=days_ago)
        ):
            yield


def _approve(user: AbstractBaseUser, article: Article, comment: str = "") -> None:
    assignment = ReviewAssignment.objects.get(
        round__article=article, round__closed_at=None, reviewer__user=user
    )
    services.decide(actor=user, assignment=assignment, decision=Decision.APPROVE, comment=comment)


def _phesgo(article: Article, cast: Cast, timeline: Timeline) -> None:
    """Approved last spring; a revision is now under review, one of two approvals given."""
    with timeline.at(days_ago=199):
        services.submit(actor=cast.editor, article=article, reason="Ready for review")
        services.auto_assign(actor=cast.editor, article=article, reason="Both oncologists on the board")
    with timeline.at(days_ago=190):
        _approve(cast.oncology1, article, "Consistent with the ESMO guideline.")
    with timeline.at(days_ago=188):
        _approve(cast.oncology2, article, "Dosing and cycle counts checked against CLEOPATRA.")
    with timeline.at(days_ago=3):
        services.add_version(
            actor=cast.editor,
            article=article,
            title=PHESGO_TITLE,
            body=PHESGO_BODY,
            references=PHESGO_REFERENCES,
            change_summary="Adds cardiac monitoring advice and the note on later lines of treatment.",
            reason="Reader question about cardiac monitoring",
        )
    with timeline.at(days_ago=2):
        services.submit(actor=cast.editor, article=article, reason="Revision ready for review")
        services.auto_assign(actor=cast.editor, article=article, reason="Same reviewers as the last round")
    with timeline.at(days_ago=1):
        _approve(cast.oncology2, article, "The cardiac monitoring advice is correct.")


def _submitted(article: Article, cast: Cast, timeline: Timeline) -> None:
    with timeline.at(days_ago=1):
        services.submit(actor=cast.editor, article=article, reason="Ready for review")


def _changes_requested(article: Article, cast: Cast, timeline: Timeline) -> None:
    with timeline.at(days_ago=25):
        services.submit(actor=cast.editor, article=article, reason="Ready for review")
        services.assign(
            actor=cast.editor, article=article, reviewer=_member(cast.oncology1), reason="Bone health lead"
        )
    with timeline.at(days_ago=20):
        assignment = ReviewAssignment.objects.get(round__article=article, round__closed_at=None)
        services.decide(
            actor=cast.oncology1,
            assignment=assignment,
            decision=Decision.REQUEST_CHANGES,
            comment="Give the timing recommendation with its source, and cite the guideline.",
        )


def _overdue(article: Article, cast: Cast, timeline: Timeline) -> None:
    with timeline.at(days_ago=12):
        services.submit(actor=cast.editor, article=article, reason="Ready for review")
        services.assign(
            actor=cast.editor, article=article, reviewer=_member(cast.oncology1), reason="Immunotherapy lead"
        )


def _approved(article: Article, cast: Cast, timeline: Timeline) -> None:
    with timeline.at(days_ago=65):
        services.submit(actor=cast.editor, article=article, reason="Ready for review")
        services.auto_assign(actor=cast.editor, article=article, reason="Auto-assign")
    with timeline.at(days_ago=60):
        _approve(cast.cardiology, article, "Targets match current guidance.")


def _expired(article: Article, cast: Cast, timeline: Timeline) -> None:
    with timeline.at(days_ago=415):
        services.submit(actor=cast.editor, article=article, reason="Ready for review")
        services.auto_assign(actor=cast.editor, article=article, reason="Auto-assign")
    with timeline.at(days_ago=400):
        _approve(cast.cardiology, article)
    with timeline.at(days_ago=34):
        reason = staleness.expiry_reason(article.review_interval().days)
        services.expire(actor=cast.system, article=article, reason=reason)


def _retired(article: Article, cast: Cast, timeline: Timeline) -> None:
    with timeline.at(days_ago=495):
        services.submit(actor=cast.editor, article=article, reason="Ready for review")
        services.auto_assign(actor=cast.editor, article=article, reason="Auto-assign")
    with timeline.at(days_ago=480):
        _approve(cast.cardiology, article)
    with timeline.at(days_ago=90):
        services.retire(
            actor=cast.chief, article=article, reason="Superseded by the heart failure guideline page"
        )


def _draft(article: Article, cast: Cast, timeline: Timeline) -> None:
    """Just written: nothing more to do."""


def _member(user: AbstractBaseUser) -> BoardMember:
    return BoardMember.objects.get(user=user)


@dataclass(frozen=True)
class Story:
    created_days_ago: float
    play: Callable[[Article, Cast, Timeline], None]


STORIES = {
    "phesgo-docetaxel-cycles-her2-metastatic-breast-cancer": Story(200, _phesgo),
    "antiemetics-highly-emetogenic-chemotherapy": Story(5, _submitted),
    "bone-metastases-bone-targeted-therapy": Story(30, _changes_requested),
    "immunotherapy-colitis-management": Story(14, _overdue),
    "statins-after-myocardial-infarction": Story(70, _approved),
    "dual-antiplatelet-therapy-duration": Story(2, _draft),
    "anticoagulation-atrial-fibrillation": Story(420, _expired),
    "digoxin-heart-failure": Story(500, _retired),
}


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.created.append(what)


def _ensure_user(
    spec: DemoUser, *, password: str, groups: dict[str, Group], report: SeedReport
) -> AbstractBaseUser:
    User = get_user_model()
    user = User.objects.filter(username=spec.username).first()
    if user is not None:
        return user
    user = User.objects.create_user(
        username=spec.username,
        password=password,
        email=f"{spec.username}@example.org",
        first_name=spec.first_name,
        last_name=spec.last_name,
        is_staff=spec.is_staff,
    )
    user.groups.add(groups[spec.role])
    report.add(f"user {spec.username}")
    return user


def _ensure_board_member(
    spec: DemoUser,
    user: AbstractBaseUser,
    *,
    specialties: dict[str, Specialty],
    actor: AbstractBaseUser,
    report: SeedReport,
) -> None:
    if BoardMember.objects.filter(user=user).exists():
        return
    with audit(actor=actor, reason=SEED_REASON):
        member = BoardMember.objects.create(
            user=user,
            display_name=spec.display_name,
            credentials=spec.credentials,
            credentials_verified_until=timezone.localdate() + datetime.timedelta(days=365),
        )
        member.specialties.set([specialties[slug] for slug in spec.specialties])
        if spec.username == "dr_cardiology":
            ConflictOfInterest.objects.create(
                member=member,
                keyword="Novartis",
                reason="Paid speaker for Novartis (declared for the demo).",
            )
    report.add(f"board member {spec.username}")


@transaction.atomic
def seed_demo(*, password: str) -> SeedReport:
    report = SeedReport()
    groups = ensure_roles()
    users = {
        spec.username: _ensure_user(spec, password=password, groups=groups, report=report) for spec in USERS
    }
    chief = users["chief"]

    specialties: dict[str, Specialty] = {}
    with audit(actor=chief, reason=SEED_REASON):
        for slug, name in SPECIALTIES:
            specialty, created = Specialty.objects.get_or_create(slug=slug, defaults={"name": name})
            specialties[slug] = specialty
            if created:
                report.add(f"specialty {slug}")

    for spec in USERS:
        if spec.role == Role.BOARD_MEMBER:
            _ensure_board_member(
                spec, users[spec.username], specialties=specialties, actor=chief, report=report
            )
        user = users[spec.username]
        if two_factor.needs_second_factor(user):
            if two_factor.enrol_with_secret(user, key_hex=DEMO_TOTP_KEY_HEX) is not None:
                report.add(f"demo authenticator for {spec.username}")

    cast = Cast(
        editor=users["editor"],
        chief=chief,
        system=get_system_user(),
        oncology1=users["dr_oncology1"],
        oncology2=users["dr_oncology2"],
        cardiology=users["dr_cardiology"],
    )
    timeline = Timeline(now=timezone.now())
    for article in ARTICLES:
        if Article.objects.filter(slug=article.slug).exists():
            continue
        story = STORIES[article.slug]
        with timeline.at(days_ago=story.created_days_ago):
            created = create_article(
                actor=cast.editor,
                slug=article.slug,
                title=article.title,
                specialty=specialties[article.specialty],
                risk_level=article.risk_level,
                body=article.body,
                references=article.references,
                change_summary="First draft.",
                reason="First draft",
                provenance=article.provenance,
            )
        story.play(created, cast, timeline)
        report.add(f"article {article.slug} ({Article.objects.get(pk=created.pk).status})")
    return report
