"""The marketer's journeys through the admin, in a real Chromium against the live server:
each drives the screens as a person would and asserts what they see, then leaves a
full-page screenshot in SCREENSHOT_DIR (var/screenshots by default)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from ai_content.demo import load as load_prompts
from ai_content.models import AIGeneration
from analytics.services import record_events
from jobs.models import JobStatus
from jobs.services import enqueue
from marketing.models import Campaign, Customer, EmailDelivery, EmailTemplate, Segment
from tests.conftest import run_due_jobs
from tests.workflows.helpers import seed_workflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_log_in_and_read_the_days_figures(browser, marketer, settings):
    settings.REPORTING_CURRENCY = "EUR"  # the shop reports in euros
    marketer()
    record_events([{"eventName": "order.completed", "userId": "u1", "messageId": "o1",
                    "properties": {"orderId": "1001", "total": "129.90", "currency": "EUR"}}])  # fmt: skip
    run_due_jobs()
    browser.log_in("marketer")
    assert browser.text("h1").startswith("Today")
    sales = browser.find("section[aria-label=Sales]")
    assert "129.90\nrevenue today (EUR)" in sales.text and "1\norders today" in sales.text
    navigation = browser.text("#nav-sidebar").lower()  # headings are upper-cased by CSS
    assert "audience\n" in navigation and "automation\n" in navigation
    browser.screenshot("01-dashboard")
    sales.find_element(By.PARTIAL_LINK_TEXT, "orders today").click()
    browser.wait_for_text("order.completed", "#result_list")


def test_build_a_segment_from_rules_preview_save_and_see_members(browser, marketer):
    marketer()
    Customer.objects.create(
        external_id="rich", email="rich@example.com", total_spent=900, order_count=5
    )
    Customer.objects.create(
        external_id="keen", email="keen@example.com", total_spent=600, order_count=4
    )
    Customer.objects.create(
        external_id="new", email="new@example.com", total_spent=40, order_count=1
    )
    browser.log_in("marketer")
    browser.open("/admin/marketing/segment/add/")
    browser.find("#id_name").send_keys("Big spenders")
    rules = [{"field": "total_spent", "operator": "greater_than", "value": 500},
             {"field": "order_count", "operator": "greater_than", "value": 3, "combinator": "and"}]  # fmt: skip
    browser.set_value("#id_rules", json.dumps(rules, indent=2))
    browser.wait_for_text("2 customers", "#segment-preview")
    browser.screenshot("02-segment-preview")
    browser.submit("input[name=_continue]")
    browser.wait_for_text("was added successfully", ".messagelist")
    run_due_jobs()  # the refresh queued by the save
    browser.driver.refresh()
    members = browser.find(".object-tools a[href*='segment=']")
    assert members.text.lower() == "all 2 members"
    members.click()
    rows = browser.text("#result_list")
    assert "rich@example.com" in rows and "keen@example.com" in rows
    assert "new@example.com" not in rows
    browser.screenshot("02-segment-members")


def test_read_edit_validate_and_simulate_the_seed_cart_workflow(browser, marketer):
    marketer()
    workflow = seed_workflow("Abandoned Cart Recovery")
    browser.log_in("marketer")
    browser.open("/admin/workflows/workflow/")
    browser.click_link("Abandoned Cart Recovery")
    tree = browser.text("fieldset:nth-of-type(3)")
    for words in ("wait 1h", 'email "abandoned-cart-reminder"', "if cart.stillAbandoned"):
        assert words in tree, words
    steps = json.loads(browser.find("#id_steps").get_attribute("value"))
    steps[0]["duration"] = "2h"
    steps[3]["ifTrue"][0]["template"] = "abandoned-cart-discont"
    browser.set_value("#id_steps", json.dumps(steps, indent=2))
    browser.submit("input[name=_continue]")
    browser.wait_for_text('steps[3].ifTrue[0].template: unknown template "abandoned-cart-discont"',
                          ".errorlist")  # fmt: skip
    browser.screenshot("03-workflow-error")
    steps[3]["ifTrue"][0]["template"] = "abandoned-cart-discount"
    browser.set_value("#id_steps", json.dumps(steps, indent=2))
    browser.submit("input[name=_continue]")
    browser.wait_for_text("was changed successfully", ".messagelist")
    assert "wait 2h" in browser.text("body")
    workflow.refresh_from_db()
    assert workflow.steps[0]["duration"] == "2h" and workflow.version == 2
    browser.find(".object-tools a[href$='/simulate/']").click()
    browser.set_value(
        "textarea[name=context]", json.dumps({"cartId": "c1", "items": [], "total": 9})
    )
    browser.find("input[name='check:cart.stillAbandoned'][value=no]").click()
    browser.submit("input[value=Simulate]")
    browser.wait_for_text("cart.stillAbandoned is false", "#simulation")
    assert "wait 2h" in browser.text("#simulation")
    browser.screenshot("03-workflow-simulation")


def test_preview_an_email_send_a_test_and_find_it_among_deliveries(browser, marketer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    marketer()
    browser.log_in("marketer")
    browser.open("/admin/marketing/emailtemplate/")
    browser.click_link("Abandoned cart: reminder")
    frames = browser.driver.find_elements(By.CSS_SELECTOR, "iframe")
    assert frames, "the HTML preview"
    browser.driver.switch_to.frame(frames[0])
    browser.wait_for_text("Trail running shoes")
    browser.driver.switch_to.default_content()
    assert "Total: 167.00 EUR" in browser.text("body"), "the text preview beside it"
    browser.screenshot("04-email-preview")
    browser.find("a.button[href$='/send-test/']").click()
    browser.wait_for_text("Test queued for marketer@example.com", ".messagelist")
    run_due_jobs()  # the worker sends it
    browser.open("/admin/marketing/emaildelivery/?is_test__exact=1")
    rows = browser.text("#result_list")
    assert "marketer@example.com" in rows and "Sent" in rows
    delivery = EmailDelivery.objects.get()
    assert delivery.is_test and delivery.subject.startswith("[Test] ")
    browser.screenshot("04-email-test-delivery")


def test_run_a_prompt_in_the_playground_and_mark_it_used(browser, marketer, fake_openai):
    marketer()
    load_prompts(lambda line: None)
    browser.log_in("marketer")
    browser.open("/admin/ai_content/aiprompt/")
    row = browser.driver.find_element(By.XPATH, "//tr[contains(., 'email-subject-line')]")
    row.find_element(By.LINK_TEXT, "Try it").click()
    for name, value in {"email_purpose": "spring sale", "audience": "past buyers",
                        "tone": "friendly", "goal": "opens"}.items():  # fmt: skip
        browser.find(f"input[name='var:{name}']").send_keys(value)
    browser.submit("input[name=run]")
    browser.wait_for_text(fake_openai.replies[0])
    assert "120 in, 40 out" in browser.text("body")
    browser.screenshot("05-playground")
    browser.find("button[name=mark_used]").click()
    browser.wait_for_text("marked as used", ".messagelist")
    generation = AIGeneration.objects.get()
    assert generation.was_used is True
    assert generation.cost == Decimal("0.000042")


def test_find_a_failed_job_read_its_history_retry_it_and_see_it_complete(browser, marketer):
    marketer()
    job, _ = enqueue(job_type="test.flaky", payload={"failures": 1}, max_attempts=1)
    run_due_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    browser.log_in("marketer")
    browser.open("/admin/")
    browser.find("section[aria-label='Background jobs']").find_element(
        By.PARTIAL_LINK_TEXT, "failed, 24 h"
    ).click()
    browser.wait_for_text("test.flaky", "#result_list")
    browser.click_link(str(job.pk))
    browser.wait_for_text("planned failure 1")
    browser.screenshot("06-failed-job")
    browser.open("/admin/jobs/job/?status__exact=failed")
    browser.find(f"input[name=_selected_action][value='{job.pk}']").click()
    Select(browser.find("select[name=action]")).select_by_value("retry_jobs")
    browser.find("button[name=index]").click()
    browser.wait_for_text("1 job(s)", ".messagelist")
    run_due_jobs()
    browser.open(f"/admin/jobs/job/{job.pk}/change/")
    browser.wait_for_text("completed")
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.COMPLETED, 2)
    browser.screenshot("06-retried-job")


def test_build_a_campaign_test_it_send_it_and_read_its_results(
    browser, marketer, settings, email_at_noon
):  # (at noon: the emails are outside the recipients' quiet hours)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    marketer()
    segment = Segment.objects.create(name="Newsletter readers", kind="static")
    for n in range(6):
        customer = Customer.objects.create(external_id=f"r{n}", email=f"r{n}@example.com",
                                           name=f"Reader {n}", email_opt_in=n != 5)  # fmt: skip
        segment.memberships.create(customer=customer)
    template = EmailTemplate.objects.get(slug="win-back-1")
    browser.log_in("marketer")
    browser.open("/admin/marketing/campaign/add/")
    browser.find("#id_name").send_keys("Autumn letter")
    Select(browser.find("#id_segment")).select_by_visible_text("Newsletter readers")
    browser.wait_for_text("6 in segment, 5 can receive email", "#campaign-audience")
    Select(browser.find("#id_template")).select_by_value(str(template.pk))
    browser.find("#campaign-preview iframe")  # the email as it will look, beside its text
    browser.wait_for_text("It's been a while", "#campaign-preview")
    browser.set_value("#id_variant_subjects", "Only one subject")
    browser.submit()
    browser.wait_for_text("2 to 4 variants", ".errorlist")
    browser.set_value("#id_variant_subjects", "Autumn is here\nNew for autumn")
    browser.set_value("#id_test_share", "0.5")
    browser.screenshot("07-campaign-builder")
    browser.submit()
    browser.wait_for_text("was added: send yourself a test", ".messagelist")
    browser.find("input[value='Send a test']").click()
    browser.wait_for_text("2 test email(s) queued", ".messagelist")
    browser.find("input[value='Send now']").click()
    browser.driver.switch_to.alert.accept()
    browser.wait_for_text("Sending: the audience is frozen now", ".messagelist")
    run_due_jobs()  # the workers send the test share; the rest wait for the winner
    campaign = Campaign.objects.get(name="Autumn letter")
    browser.open(f"/admin/marketing/campaign/{campaign.pk}/change/")
    browser.wait_for_text("2 / 5 (3 held for the winner)", "#campaign-progress")
    bar = "return document.querySelector('#campaign-progress progress').value"
    assert browser.driver.execute_script(bar) == 2  # (the page redraws it every 2 s)
    browser.screenshot("07-campaign-progress")
    browser.click_link("Results and charts")
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "#variant-charts svg")) == 5
    assert "Not decided yet" in browser.text("#campaign-decision")
    assert "Recipients 2" in browser.text("#campaign-figures")
    browser.screenshot("07-campaign-results")


def test_write_a_social_post_see_its_limits_approve_it_and_find_it_in_the_calendar(
    browser, marketer
):
    from marketing.models import SocialAccount, SocialPost

    marketer()
    account = SocialAccount.objects.create(name="shop-insta", platform="instagram",
                                           external_id="1789", token_variable="META_TOKEN")  # fmt: skip
    browser.log_in("marketer")
    browser.open("/admin/marketing/socialpost/add/")
    Select(browser.find("#id_account")).select_by_value(str(account.pk))
    browser.find("#id_text").send_keys("Autumn drop " + "#trail " * 31)
    browser.submit()
    errors = browser.text(".errorlist")
    assert "at most 30 hashtags (this has 31)" in browser.text("body")
    assert "an Instagram post needs an image" in browser.text("body"), errors
    browser.set_value("#id_text", "Autumn drop #trail #run")
    browser.set_value("#id_image_url", "https://cdn.example.com/drop.jpg")
    browser.submit()
    browser.wait_for_text("was added successfully", ".messagelist")
    assert "23 / 2,200, #2 / 30" in browser.text("body")
    browser.screenshot("08-social-post-preview")
    browser.open("/admin/marketing/socialpost/")
    browser.find("#result_list input[name=_selected_action]").click()
    Select(browser.find("select[name=action]")).select_by_value("approve_selected")
    browser.find("button[name=index]").click()
    browser.wait_for_text("1 post(s) approved.", ".messagelist")
    assert SocialPost.objects.get().status == "scheduled"
    browser.find(".object-tools a[href$='/calendar/']").click()
    browser.wait_for_text("shop-insta: Autumn drop #trail #run", "#social-calendar")
    browser.screenshot("08-social-calendar")


def test_preview_a_report_as_it_is_edited_email_it_and_reread_the_run(
    browser, marketer, settings, tmp_path
):
    from analytics.models import AnalyticsReport

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path
    marketer()
    report = AnalyticsReport.objects.get(name="Daily Sales Summary")
    browser.log_in("marketer")
    browser.open(f"/admin/analytics/analyticsreport/{report.pk}/change/")
    frame = browser.find("#report-preview")
    browser.driver.switch_to.frame(frame)
    browser.wait_for_text("Daily Sales Summary", "h1")
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "img[src^='data:image/png']")) == 4
    browser.driver.switch_to.default_content()
    browser.screenshot("09-report-preview")
    browser.set_value("#id_config", '{"metrics": ["revenue", "profit"], "dimensions": []}')
    browser.driver.switch_to.frame(browser.find("#report-preview"))
    browser.wait_for_text('config.metrics[1]: unknown metric "profit"')
    browser.driver.switch_to.default_content()
    browser.open("/admin/analytics/analyticsreport/")
    browser.find(f"input[name=_selected_action][value='{report.pk}']").click()
    Select(browser.find("select[name=action]")).select_by_value("generate_now")
    browser.find("button[name=index]").click()
    browser.wait_for_text("report(s) queued", ".messagelist")
    run_due_jobs()
    browser.open(f"/admin/analytics/analyticsreport/{report.pk}/change/")
    browser.find(".inline-group a[href*='/reportrun/']").click()
    browser.wait_for_text("owner@benchbarrier.com")
    assert "daily-sales-summary-" in browser.text(".field-files")
    browser.driver.switch_to.frame(browser.find(".field-email iframe"))
    browser.wait_for_text("Daily Sales Summary", "h1")
    browser.driver.switch_to.default_content()
    browser.screenshot("09-report-run")


def test_try_the_bot_hand_over_and_answer_from_the_agent_inbox(browser, marketer):
    marketer()
    browser.log_in("marketer")
    browser.open("/admin/chatbot/botintent/")
    browser.find(".object-tools a[href$='/try/']").click()
    widget = browser.shadow("#bb-chat")
    widget.find_element(By.CSS_SELECTOR, "button.open").click()
    log = lambda: widget.find_element(By.CSS_SELECTOR, ".log").text  # noqa: E731
    message = widget.find_element(By.CSS_SELECTOR, "input")
    message.send_keys("where is my order\n")
    browser.wait_until(lambda: "Could you provide your order number?" in log())
    message.send_keys("can I talk to a person please\n")
    browser.wait_until(lambda: "bringing in a person" in log())
    browser.screenshot("11-try-the-bot")
    browser.open("/admin/chatbot/inboxconversation/")
    assert "Waiting for a person" in browser.text("#result_list")
    browser.find("#result_list tbody th a").click()
    transcript = browser.text("table.transcript")
    assert "where is my order" in transcript and "order_status" in transcript
    Select(browser.find("#id_canned")).select_by_value("Goodbye, and have a lovely day!")
    assert browser.find("#id_reply").get_attribute("value") == "Goodbye, and have a lovely day!"
    browser.set_value("#id_reply", "Hi, Sam here from the team. How can I help?")
    browser.find("input[name=_send]").click()
    browser.wait_for_text("Sent.", ".messagelist")
    browser.screenshot("11-agent-inbox")
    browser.open("/admin/chatbot/botintent/try/")  # the customer's side: the reply shows
    widget = browser.shadow("#bb-chat")
    widget.find_element(By.CSS_SELECTOR, "button.open").click()
    browser.wait_until(lambda: "Sam here from the team" in log())


def test_operations_an_alert_fires_the_page_shows_it_and_a_silence_is_set(browser, marketer,
                                                                           settings):  # fmt: skip
    from benchbarrier.services.alerts import evaluate_all
    from tests.benchbarrier.test_alerts import failed_run

    settings.ALERT_EMAILS = ["ops@shop.example"]
    marketer()
    failed_run("u1")
    evaluate_all()
    browser.log_in("marketer")
    operations = browser.find("section[aria-label=Operations]")
    assert "1\nalerts firing" in operations.text
    operations.find_element(By.PARTIAL_LINK_TEXT, "alerts firing").click()
    browser.wait_for_text("Workflow errors (Abandoned Cart Recovery)",
                          "section[aria-label='Alerts firing']")  # fmt: skip
    assert "Queue: due jobs waiting" in browser.text("#content-main")
    browser.screenshot("12-operations")
    browser.find("section[aria-label='Alerts firing'] a[href*='workflowexecution']").click()
    browser.wait_for_text("Abandoned Cart Recovery", "#result_list")  # the cause
    browser.open("/admin/benchbarrier/silence/add/")
    Select(browser.find("#id_rule")).select_by_visible_text("Workflow errors")
    browser.find("#id_reason").send_keys("fixing the cart template")
    browser.submit("input[name=_save]")
    browser.wait_for_text("was added successfully", ".messagelist")
    assert "fixing the cart template" in browser.text("#result_list")
    browser.screenshot("12-silence")
