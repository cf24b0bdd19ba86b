from marketing.models.customers import Customer
from marketing.models.segments import Segment, SegmentKind, SegmentMember

__all__ = ["Customer", "Segment", "SegmentKind", "SegmentMember"]
