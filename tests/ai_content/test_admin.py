"""AI content and spend in the admin."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_content.demo import load
from ai_content.models import AIGeneration, AIPrompt
from benchbarrier import clock
from benchbarrier.services.spend import record_spend

pytestmark = pytest.mark.django_db
PLAYGROUND = "/admin/ai_content/aiprompt/playground/"


@pytest.fixture
def subject():
    load(lambda line: None)
    return AIPrompt.objects.get(slug="email-subject-line")


def test_the_playground_renders_runs_and_marks_as_used(staff_client, fake_openai, subject):
    page = staff_client.get(f"{PLAYGROUND}?prompt={subject.pk}")
    assert page.status_code == 200
    assert b'name="var:email_purpose"' in page.content
    variables = {"var:email_purpose": "autumn <sale>", "var:audience": "runners",
                 "var:tone": "warm", "var:goal": "clicks"}  # fmt: skip
    preview = staff_client.post(PLAYGROUND, {"prompt": subject.pk, "preview": "1", **variables})
    assert b"compelling email subject lines for: autumn &lt;sale&gt;" in preview.content
    assert fake_openai.requests == []
    run = staff_client.post(PLAYGROUND, {"prompt": subject.pk, "run": "1", **variables})
    assert fake_openai.replies[0].encode() in run.content
    assert b"120 in, 40 out" in run.content and b"quality score" in run.content
    generation = AIGeneration.objects.get()
    marked = staff_client.post(PLAYGROUND, {"prompt": subject.pk, "mark_used": generation.pk})
    assert marked.status_code == 302
    generation.refresh_from_db()
    assert generation.was_used is True


def test_the_playground_names_a_missing_variable(staff_client, fake_openai, subject):
    page = staff_client.post(PLAYGROUND, {"prompt": subject.pk, "run": "1",
                                          "var:email_purpose": "sale"})  # fmt: skip
    assert b"variables.audience: required by the template" in page.content
    assert fake_openai.requests == []


def test_the_playground_says_when_no_provider_is_configured(staff_client, settings, subject):
    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = ""
    page = staff_client.get(PLAYGROUND)
    assert b"AI provider not configured: set OPENAI_API_KEY or OPENAI_BASE_URL" in page.content


def test_editing_a_template_in_the_admin_adds_a_version(staff_client, subject):
    url = f"/admin/ai_content/aiprompt/{subject.pk}/change/"
    form = {
        "name": subject.name, "description": subject.description, "category": "email",
        "template": "A subject line about {{campaign_topic}}.", "variables": "",
        "model": "gpt-4o-mini", "temperature": "0.8", "max_tokens": "40", "max_length": "60",
        "is_active": "on", "versions-TOTAL_FORMS": "1", "versions-INITIAL_FORMS": "1",
        "versions-MIN_NUM_FORMS": "0", "versions-MAX_NUM_FORMS": "1000",
        "versions-0-id": subject.versions.get().pk, "versions-0-prompt": subject.pk,
    }  # fmt: skip
    response = staff_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    subject.refresh_from_db()
    assert (subject.version, subject.variables) == (2, ["campaign_topic"])
    wrong = staff_client.post(url, {**form, "variables": '["campaign_topic", "city"]'})
    assert b"List exactly the template&#x27;s placeholders: campaign_topic" in wrong.content


def test_admin_lists_generations_budgets_and_spend(staff_client, fake_openai, subject):
    record_spend(service="openai", operation="chat.completion", cost=Decimal("420"))
    for url in ["/admin/ai_content/aigeneration/", "/admin/benchbarrier/modelprice/",
                "/admin/benchbarrier/notification/", "/admin/ai_content/aiprompt/"]:  # fmt: skip
        assert staff_client.get(url).status_code == 200, url
    budgets = staff_client.get("/admin/benchbarrier/budget/").content.decode()
    assert "420.00 USD" in budgets and 'title="84%"' in budgets
    monthly = staff_client.get("/admin/benchbarrier/monthlyspend/").content.decode()
    assert 'title="84%"' in monthly
    month = clock.now().strftime("%b %Y")
    assert f'title="{month}: 420.00 (84%)"' in monthly, "the chart's bar for this month"
    assert f'title="{month}: 420.00 (42%)"' in monthly, "and against the total budget"
