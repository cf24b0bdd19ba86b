"""Social posting against a local fake of Meta's Graph API: limits checked per platform,
approval before publishing, published once at its time (a rate limit waits as the
platform says), Instagram's two steps, engagement pulled back as events, the postSocial
step, and a real worker publishing a scheduled post."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.models import Event
from benchbarrier import clock
from benchbarrier.models import WorkerHeartbeat
from benchbarrier.services.audit import Actor
from jobs.models import Job
from marketing.models import Customer, SocialAccount, SocialPost
from marketing.social import services
from tests.conftest import run_due_jobs
from tests.marketing.fake_graph import TOKEN, FakeGraph
from tests.processes import wait_until
from workflows.definition import DefinitionError
from workflows.services import save_workflow, start_execution

ACTOR = Actor.system("tests")


@pytest.fixture
def graph(settings, monkeypatch):
    fake = FakeGraph()
    settings.META_GRAPH_URL = fake.url
    monkeypatch.setenv("META_TOKEN_TEST", TOKEN)
    yield fake
    fake.close()


def page() -> SocialAccount:
    return SocialAccount.objects.create(name="shop-page", platform="facebook",
                                        external_id="1001", token_variable="META_TOKEN_TEST")  # fmt: skip


def instagram() -> SocialAccount:
    return SocialAccount.objects.create(name="shop-insta", platform="instagram",
                                        external_id="1789", token_variable="META_TOKEN_TEST")  # fmt: skip


@pytest.mark.django_db
def test_each_platforms_limits_are_checked():
    account = instagram()
    with pytest.raises(services.PostError) as caught:
        services.create_post(account=account, text="#a " * 31, actor=ACTOR)
    assert caught.value.errors == [
        ("text", "at most 30 hashtags (this has 31)"),
        ("imageUrl", "an Instagram post needs an image"),
    ]
    with pytest.raises(services.PostError) as caught:
        services.create_post(account=account, text="x" * 2201, image_url="https://i/x.jpg",
                             actor=ACTOR)  # fmt: skip
    assert "at most 2,200 characters on Instagram Business account" in str(caught.value)


@pytest.mark.django_db
def test_a_post_waits_for_approval_then_publishes_once_after_a_rate_limit(graph):
    graph.throttle_first = 1
    graph.retry_after = "120"
    post = services.create_post(account=page(), text="New trail shoes are in",
                                link="https://shop.example.com/trail",
                                scheduled_for=clock.now() + timedelta(hours=1), actor=ACTOR)  # fmt: skip
    run_due_jobs()
    assert post.status == "draft" and graph.requests == [], "a draft is never published"
    services.approve(post=post, user=None, actor=ACTOR)
    run_due_jobs()
    assert graph.requests == [], "not before its time"
    clock.advance(timedelta(hours=1))
    run_due_jobs()
    post.refresh_from_db()
    job = Job.objects.get(job_type="social.post")
    assert post.status == "scheduled" and "code 4" in post.error
    assert job.status == "retrying"
    assert 119 <= (job.scheduled_for - clock.now()).total_seconds() <= 120, "the platform's wait"
    clock.advance(timedelta(seconds=121))
    run_due_jobs()
    post.refresh_from_db()
    assert post.status == "published" and post.platform_post_id == "1001_2"
    assert post.permalink == "https://www.facebook.com/1001_2"
    feed = [r for r in graph.posts() if r["path"].endswith("/feed")]
    assert len(feed) == 2 and feed[1]["params"]["link"] == "https://shop.example.com/trail"
    assert Event.objects.filter(event_name="social.posted").count() == 1
    run_due_jobs()
    assert len(graph.posts()) == 2, "published once"


@pytest.mark.django_db
def test_instagram_publishes_in_two_steps_and_engagement_comes_back_as_events(graph):
    post = services.create_post(account=instagram(), text="Autumn drop #trail",
                                image_url="https://cdn.example.com/drop.jpg",
                                approved=True, actor=ACTOR)  # fmt: skip
    run_due_jobs()
    post.refresh_from_db()
    assert [r["path"].rsplit("/", 1)[1] for r in graph.posts()] == ["media", "media_publish"]
    assert graph.posts()[0]["params"]["image_url"] == "https://cdn.example.com/drop.jpg"
    assert post.permalink == f"https://www.instagram.com/p/{post.platform_post_id}/"
    assert services.pull_engagement() == {"pulled": 1, "failed": 0}
    services.pull_engagement()  # the same hour: no second event
    event = Event.objects.get(event_name="social.engagement")
    assert event.properties == {"postId": post.pk, "platform": "instagram", "reach": 340,
                                "account": "shop-insta", "likes": 12, "comments": 3}  # fmt: skip
    post.refresh_from_db()
    assert post.engagement == {"likes": 12, "comments": 3, "reach": 340}
    metric = [r["params"].get("metric") for r in graph.requests if r["path"].endswith("/insights")]
    assert metric == ["reach", "reach"]


@pytest.mark.django_db
def test_a_bad_token_fails_the_post_for_good_and_is_never_logged(graph, monkeypatch, caplog):
    monkeypatch.setenv("META_TOKEN_TEST", "expired-token")
    post = services.create_post(account=page(), text="Hi", approved=True, actor=ACTOR)
    run_due_jobs()
    post.refresh_from_db()
    assert post.status == "failed" and "code 190" in post.error
    assert Job.objects.get(job_type="social.post").status == "failed"
    assert "expired-token" not in caplog.text and "expired-token" not in post.error


@pytest.mark.django_db
def test_the_post_social_step_is_checked_and_publishes_once_per_run(graph):
    page()
    Customer.objects.create(external_id="ada", name="Ada")
    with pytest.raises(DefinitionError) as caught:
        save_workflow(actor=ACTOR, name="Bad", trigger_type="webhook", trigger_config={},
                      steps=[{"type": "postSocial", "account": "nope", "text": "Hi"}])  # fmt: skip
    assert 'steps[0].account: no active social account "nope"' in str(caught.value)
    flow = save_workflow(actor=ACTOR, name="Announce", trigger_type="webhook", trigger_config={},
                         steps=[{"type": "postSocial", "account": "shop-page",
                                 "text": "Back in stock: {{ trigger.product }}"}])  # fmt: skip
    start_execution(flow, context={"product": "Trail Runner 2"}, user_id="ada")
    run_due_jobs()
    assert [r["params"]["message"] for r in graph.posts()] == ["Back in stock: Trail Runner 2"]
    assert SocialPost.objects.get().status == "published"


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_publishes_a_scheduled_post_once_after_a_429(graph, celery_procs):
    graph.throttle_first = 1
    graph.retry_after = "1"
    post = services.create_post(account=page(), text="Live from the worker",
                                scheduled_for=clock.now() + timedelta(seconds=2),
                                approved=True, actor=ACTOR)  # fmt: skip
    env = {"META_GRAPH_URL": graph.url, "META_TOKEN_TEST": TOKEN}
    celery_procs.worker("social", "--pool=solo", **env)
    celery_procs.beat(**env)
    wait_until(lambda: WorkerHeartbeat.objects.alive().exists(), timeout=60, what="a worker")
    try:
        wait_until(lambda: SocialPost.objects.get(pk=post.pk).status == "published",
                   timeout=60, what="the post to be published")  # fmt: skip
    except AssertionError:
        print(celery_procs.logs())
        raise
    assert len([r for r in graph.posts() if r["path"].endswith("/feed")]) == 2  # 429, then ok
    services.pull_engagement()
    assert Event.objects.filter(event_name="social.engagement").count() == 1


@pytest.mark.django_db
def test_the_calendar_previews_approves_and_generates_posts(staff_client, fake_openai):
    from django.urls import reverse

    from ai_content.demo import load as load_prompts

    account = instagram()
    bad = staff_client.post(reverse("admin:marketing_socialpost_add"),
                            {"account": account.pk, "text": "Hi", "link": "", "image_url": "",
                             "scheduled_for_0": "2026-11-26", "scheduled_for_1": "10:00"})  # fmt: skip
    assert "an Instagram post needs an image" in bad.content.decode()
    post = services.create_post(account=account, text="Autumn #trail #run",
                                image_url="https://cdn.example.com/a.jpg",
                                scheduled_for=clock.now(), actor=ACTOR)  # fmt: skip
    page_ = staff_client.get(reverse("admin:marketing_socialpost_change", args=[post.pk]))
    assert "18 / 2,200, #2 / 30" in page_.content.decode()
    assert "fits Instagram Business account" in page_.content.decode()
    month = clock.now().strftime("%Y-%m")
    shown = staff_client.get(reverse("admin:marketing_socialpost_calendar"), {"month": month})
    assert "shop-insta: Autumn #trail #run" in shown.content.decode()
    load_prompts(lambda line: None)
    generated = staff_client.post(
        reverse("admin:marketing_socialpost_generate", args=[post.pk]),
        {"product_name": "Trail Runner 2", "price": "129 EUR", "features": "light, grippy",
         "audience": "runners", "tone": "warm"}, follow=True,
    )  # fmt: skip
    assert "Text generated" in generated.content.decode()
    post.refresh_from_db()
    assert post.text == fake_openai.replies[0] and post.status == "draft"
    assert "Trail Runner 2" in fake_openai.requests[0]["body"]["messages"][-1]["content"]
    staff_client.post(reverse("admin:marketing_socialpost_changelist"),
                      {"action": "approve_selected", "_selected_action": [post.pk]})  # fmt: skip
    post.refresh_from_db()
    assert post.status == "scheduled" and post.approved_by is not None
    assert Job.objects.filter(job_type="social.post").exists()


@pytest.mark.django_db
def test_generating_without_an_ai_provider_says_why(staff_client, settings):
    from django.urls import reverse

    from ai_content.demo import load as load_prompts

    settings.OPENAI_API_KEY = settings.OPENAI_BASE_URL = ""
    load_prompts(lambda line: None)
    post = services.create_post(account=page(), text="Hi", actor=ACTOR)
    answer = staff_client.post(
        reverse("admin:marketing_socialpost_generate", args=[post.pk]),
        {"product_name": "X", "price": "1", "features": "a", "audience": "b", "tone": "c"},
    )
    assert "Not generated: AI provider not configured" in answer.content.decode()


@pytest.mark.django_db
def test_an_ai_image_is_posted_as_a_jpeg_by_its_id(graph, settings, tmp_path):
    import io

    from PIL import Image

    from ai_content.services import upload_image

    settings.MEDIA_ROOT = tmp_path
    settings.SITE_URL = "https://ops.example.com"
    picture = io.BytesIO()
    Image.new("RGBA", (2000, 1000), (200, 80, 20, 128)).save(picture, "PNG")
    asset, _ = upload_image(data=picture.getvalue(), name="drop.png", label="drop")
    account = instagram()
    with pytest.raises(services.PostError) as caught:
        services.create_post(account=account, text="Soon", image_id=asset.pk, actor=ACTOR)
    assert ("imageId", f"image {asset.pk} is processing, not ready yet") in caught.value.errors
    run_due_jobs()  # image.process makes the WebP widths and the social JPEG
    asset.refresh_from_db()
    jpeg = Image.open(tmp_path / asset.social_jpeg)
    assert (jpeg.format, jpeg.mode, jpeg.size) == ("JPEG", "RGB", (1080, 540))
    post = services.create_post(account=account, text="Autumn drop", image_id=asset.pk,
                                approved=True, actor=ACTOR)  # fmt: skip
    run_due_jobs()
    post.refresh_from_db()
    assert post.status == "published"
    sent = graph.posts()[0]["params"]["image_url"]
    assert sent == f"https://ops.example.com/media/images/web/{asset.pk}/social.jpg"


@pytest.mark.django_db
def test_a_social_campaign_posts_once_at_its_send_time(graph, staff_client):
    from django.urls import reverse

    from marketing.campaigns import services as campaigns
    from marketing.models import Campaign

    account = page()
    with pytest.raises(campaigns.CampaignError) as caught:
        campaigns.save_campaign(campaign=Campaign(name="x", type="social"), actor=ACTOR)
    assert caught.value.errors == [("socialAccount", "the social account to post to")]
    built = staff_client.post(reverse("admin:marketing_campaign_add"), {
        "name": "Launch post", "type": "social", "social_account": account.pk,
        "text": "The Trail Runner 2 is here", "link": "https://shop.example.com/tr2",
        "variables": "{}", "test_share": "0.2", "test_metric": "click_rate",
        "fallback": "leader", "subject": "", "local_time": "", "variant_subjects": "",
        "wait_hours": "", "throttle_per_second": "", "template": "", "segment": "",
    })  # fmt: skip
    assert built.status_code == 302, built.content.decode()[:3000]
    campaign = Campaign.objects.get(name="Launch post")
    campaigns.launch(campaign=campaign, actor=ACTOR, send_at=clock.now() + timedelta(hours=2))
    run_due_jobs()
    assert graph.requests == []
    clock.advance(timedelta(hours=2))
    run_due_jobs()
    campaign.refresh_from_db()
    post = SocialPost.objects.get(pk=campaign.metrics["socialPostId"])
    assert campaign.status == "sent" and post.status == "published"
    assert [r["params"]["link"] for r in graph.posts()] == ["https://shop.example.com/tr2"]
    run_due_jobs()
    assert len(graph.posts()) == 1


@pytest.mark.django_db
def test_x_posts_are_signed_counted_as_x_counts_and_wait_for_the_rate_limit_reset(
    settings, monkeypatch
):
    from tests.marketing.fake_x import CREDENTIALS, FakeX

    fake = FakeX()
    settings.X_API_URL = fake.url
    monkeypatch.setenv("X_CREDS", CREDENTIALS)
    account = SocialAccount.objects.create(name="shop-x", platform="x", external_id="benchshop",
                                           token_variable="X_CREDS")  # fmt: skip
    try:
        link = "https://shop.example.com/" + "a" * 100  # counts as 23
        with pytest.raises(services.PostError) as caught:
            services.create_post(account=account, text="y" * 258 + " " + link, actor=ACTOR)
        assert "at most 280 characters on X (Twitter) account (this is 282)" in str(caught.value)
        fake.throttle_first = 1
        post = services.create_post(account=account, text="y" * 256, link=link, approved=True,
                                    actor=ACTOR)  # fmt: skip
        run_due_jobs()
        job = Job.objects.get(job_type="social.post")
        assert job.status == "retrying" and (job.scheduled_for - clock.now()).total_seconds() <= 2
        clock.advance(timedelta(seconds=3))
        run_due_jobs()
        post.refresh_from_db()
        assert post.status == "published" and post.platform_post_id == "1850000000000000002"
        assert post.permalink == "https://x.com/benchshop/status/1850000000000000002"
        assert fake.requests[-1]["body"] == {"text": "y" * 256 + " " + link}
        assert services.pull_engagement() == {"pulled": 1, "failed": 0}
        post.refresh_from_db()
        assert post.engagement == {"likes": 9, "comments": 2, "shares": 5, "reach": 512}
    finally:
        fake.close()


@pytest.mark.django_db
def test_publishing_and_pulling_run_twice_post_once_and_count_once(graph):
    from marketing.tasks import pull_social_engagement
    from tests.at_least_once import run_twice

    post = services.create_post(account=instagram(), text="Autumn drop #trail",
                                image_url="https://cdn.example.com/drop.jpg",
                                approved=True, actor=ACTOR)  # fmt: skip

    run_twice("social.post")
    pull_social_engagement()
    run_twice("social.engagement")

    post.refresh_from_db()
    assert post.status == "published"
    assert [r["path"].rsplit("/", 1)[1] for r in graph.posts()] == ["media", "media_publish"]
    assert Event.objects.filter(event_name="social.posted").count() == 1
    assert Event.objects.filter(event_name="social.engagement").count() == 1
