from __future__ import annotations

from benchbarrier.api.urls import Router
from marketing.campaigns.views import CampaignViewSet, SequenceViewSet
from marketing.product_views import ProductViewSet
from marketing.push.views import PushSubscriptionViewSet
from marketing.views import CustomerViewSet, SegmentViewSet

router = Router()
router.register("customers", CustomerViewSet, basename="customer")
router.register("segments", SegmentViewSet, basename="segment")
router.register("products", ProductViewSet, basename="product")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("sequences", SequenceViewSet, basename="sequence")
router.register("push/subscriptions", PushSubscriptionViewSet, basename="push-subscription")

urlpatterns = router.urls
