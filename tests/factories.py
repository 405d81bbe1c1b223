"""Factories for tests. Articles and versions go through the services, as in production, so
their numbers, hashes and history are real."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from articles.models import Article, RiskLevel
from articles.services import create_article
from reviewers.models import BoardMember, ConflictOfInterest, Specialty
from reviewers.roles import Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("secret-pass-123")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        add_roles(self, extracted or ())


def add_roles(user, roles) -> None:
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=str(role))[0])
    user.__dict__.pop("_editorial_roles", None)


class EditorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"editor{n}")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        add_roles(self, extracted or [Role.EDITOR])


class ChiefFactory(UserFactory):
    username = factory.Sequence(lambda n: f"chief{n}")
    is_staff = True

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        add_roles(self, extracted or [Role.EDITOR_IN_CHIEF])


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Specialty {n}")
    slug = factory.Sequence(lambda n: f"specialty-{n}")


class BoardMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BoardMember
        skip_postgeneration_save = True

    user = factory.SubFactory(
        UserFactory,
        username=factory.Sequence(lambda n: f"dr{n}"),
        is_staff=True,
        roles=[Role.BOARD_MEMBER],
    )
    display_name = factory.LazyAttribute(lambda member: f"Dr {member.user.last_name}")
    credentials = "MD"
    credentials_verified_until = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=365)
    )

    @factory.post_generation
    def specialties(self, create: bool, extracted: list[Specialty] | None, **kwargs: object) -> None:
        if extracted:
            self.specialties.set(extracted)


class ConflictOfInterestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConflictOfInterest

    member = factory.SubFactory(BoardMemberFactory)
    reason = "Consultancy fees"


class ArticleFactory(factory.Factory):
    """Builds an article with its first version through ``create_article``."""

    class Meta:
        model = Article

    actor = factory.SubFactory(EditorFactory)
    slug = factory.Sequence(lambda n: f"article-{n}")
    title = factory.Sequence(lambda n: f"Clinical question {n}?")
    specialty = factory.SubFactory(SpecialtyFactory)
    risk_level = RiskLevel.STANDARD
    body = "The answer, with its evidence."
    reason = "First draft"
    references = factory.LazyFunction(
        lambda: [{"citation": "A guideline.", "source": "A guideline body", "year": 2024}]
    )

    @classmethod
    def _create(cls, model_class: type[Article], **kwargs: object) -> Article:
        return create_article(**kwargs)
