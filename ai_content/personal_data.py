"""AI content's part of the kernel's personal-data registry: generations whose prompt was
rendered with a person's details (a personalised email, a bot answer) lose the prompt, its
variables and the text, keeping their model, tokens and cost for the spend figures."""

from __future__ import annotations

from django.db.models import Q

from ai_content.models import AIGeneration
from benchbarrier.personal_data import Person, register_eraser

ERASED = "(erased)"


def _erase(person: Person) -> dict[str, int]:
    named = Q(pk__in=[])
    for address in person.emails | person.phones:
        named |= Q(input_prompt__icontains=address) | Q(content__icontains=address)
    if person.user_id:
        named |= Q(variables__userId=person.user_id)
    found = AIGeneration.objects.filter(named).exclude(input_prompt=ERASED)
    return {"generations": found.update(input_prompt=ERASED, variables={}, content=ERASED)}


register_eraser("ai_content", _erase)
