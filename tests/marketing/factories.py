from __future__ import annotations

import factory

from marketing.models import Customer, Segment, SegmentKind


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"user-{n}")
    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    name = factory.Faker("name")


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    kind = SegmentKind.DYNAMIC
    rules = factory.LazyFunction(
        lambda: [{"field": "total_spent", "operator": "greater_than", "value": 100}]
    )
