from marketing.campaigns.models import (
    Attribution,
    Campaign,
    CampaignKind,
    CampaignSend,
    CampaignStatus,
    CampaignType,
    SendStatus,
    Sequence,
)
from marketing.email.models import (
    DeliveryStatus,
    EmailDelivery,
    EmailKind,
    EmailTemplate,
    Suppression,
    SuppressionScope,
)
from marketing.models.customers import Customer, ErasedContact
from marketing.models.discounts import DiscountCode, DiscountKind, DiscountPool
from marketing.models.products import Product
from marketing.models.segments import Segment, SegmentKind, SegmentMember
from marketing.push.models import PushMessage, PushStatus, PushSubscription
from marketing.sms.models import SmsMessage, SmsOptOut, SmsStatus
from marketing.social.models import Platform, PostStatus, SocialAccount, SocialPost

__all__ = [
    "Attribution",
    "Campaign",
    "CampaignKind",
    "CampaignSend",
    "CampaignStatus",
    "CampaignType",
    "Customer",
    "DeliveryStatus",
    "DiscountCode",
    "DiscountKind",
    "DiscountPool",
    "EmailDelivery",
    "EmailKind",
    "EmailTemplate",
    "ErasedContact",
    "Platform",
    "PostStatus",
    "Product",
    "PushMessage",
    "PushStatus",
    "PushSubscription",
    "Segment",
    "SegmentKind",
    "SegmentMember",
    "SendStatus",
    "Sequence",
    "SmsMessage",
    "SmsOptOut",
    "SmsStatus",
    "SocialAccount",
    "SocialPost",
    "Suppression",
    "SuppressionScope",
]
