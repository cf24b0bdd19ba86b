"""The intents the bot ships with: the seed's three exactly as it writes them, and the ones
a shop needs beside them. Installed after every migrate when missing (edits kept); a
change to any intent queues `chatbot.train`."""

from __future__ import annotations

from typing import Any

from chatbot.models import BotIntent

SEED_INTENTS: list[dict[str, Any]] = [
    {
        "name": "greeting",
        "trainingPhrases": ["hi", "hello", "hey", "good morning", "what's up", "how are you"],
        "responses": [
            "Hi there! 👋 How can I help you today?",
            "Hello! I'm here to help. What can I do for you?",
            "Hey! What brings you here today?",
        ],
    },
    {
        "name": "order_status",
        "trainingPhrases": ["where is my order", "track my order", "order status",
                            "when will my order arrive"],
        "responses": [
            "I can help you track your order! Could you provide your order number?",
        ],
        "actions": [
            {"type": "request_order_number"},
            {"type": "lookup_order_status"},
            {"type": "send_tracking_info"},
        ],
    },
    {
        "name": "product_inquiry",
        "trainingPhrases": ["tell me about", "product information", "what is this product",
                            "specifications"],
        "responses": [
            "I'd be happy to help you learn about our products! Which one are you "
            "interested in?",
        ],
        "actions": [
            {"type": "show_product_catalog"},
            {"type": "provide_product_details"},
        ],
    },
]  # fmt: skip

SHOP_INTENTS: list[dict[str, Any]] = [
    {
        "name": "talk_to_person",
        "description": "The customer asks for a human.",
        "trainingPhrases": [
            "talk to a person", "speak to a human", "can I talk to someone",
            "I want a real person", "connect me to an agent", "customer service please",
            "human please", "let me speak to support", "is there a person I can talk to",
            "get me a representative", "I need to talk to staff", "agent",
            "stop the bot I want a human", "transfer me to support", "live chat with a person",
        ],
        "responses": ["Of course, I'm bringing in a person from our team."],
        "actions": [{"type": "handoff"}],
    },
    {
        "name": "shipping_info",
        "description": "Shipping costs, methods and delivery times.",
        "trainingPhrases": [
            "how much is shipping", "shipping cost", "do you ship to France",
            "how long does delivery take", "delivery time", "is shipping free",
            "what are the shipping options", "express delivery", "international shipping",
            "when will it ship", "how fast do you deliver", "free delivery over",
            "which carrier do you use", "shipping rates", "do you deliver on weekends",
        ],
        "responses": ["Standard delivery takes 2-4 working days and is free over $50; "
                      "express arrives the next working day."],
    },
    {
        "name": "returns_refunds",
        "description": "Returning an item, exchanges and refunds.",
        "trainingPhrases": [
            "how do I return an item", "return policy", "I want a refund",
            "can I exchange my shoes", "the size is wrong", "send it back",
            "how long do refunds take", "refund status", "return label",
            "item arrived damaged", "I don't like it can I return it", "money back",
            "exchange for another size", "where do I send my return", "cancel and refund",
        ],
        "responses": ["You can return anything within 30 days: start a return from your "
                      "order page and we'll email a free label. Refunds take 3-5 days."],
    },
    {
        "name": "payment_problem",
        "description": "Payment declined, charged twice, payment methods.",
        "trainingPhrases": [
            "my payment was declined", "card declined", "payment failed", "I was charged twice",
            "double charged", "can I pay with paypal", "which payment methods do you accept",
            "do you take apple pay", "my card doesn't work", "payment not going through",
            "charged but no order", "can I pay by invoice", "error at checkout payment",
            "klarna pay later", "why was my card refused",
        ],
        "responses": ["We take cards, PayPal, Apple Pay and Google Pay. A declined card is "
                      "usually the bank's check: try again or another card. Charged twice? "
                      "The extra hold disappears within 5 days; if not, a person will sort it "
                      "out."],
    },
    {
        "name": "discount_codes",
        "description": "Discount codes and vouchers that work or don't.",
        "trainingPhrases": [
            "do you have a discount code", "my discount code doesn't work", "promo code",
            "coupon not working", "voucher code", "is there a sale", "code expired",
            "where do I enter my discount code", "any offers right now", "student discount",
            "the code says invalid", "first order discount", "can I use two codes",
            "gift card", "newsletter discount",
        ],
        "responses": ["Enter your code in the basket before checkout; one code per order. "
                      "New subscribers get 10% off their first order. If a code says invalid, "
                      "check its end date and minimum order value."],
    },
    {
        "name": "opening_hours",
        "description": "Opening hours, contact details, where the shop is.",
        "trainingPhrases": [
            "what are your opening hours", "when are you open", "are you open on sunday",
            "phone number", "how can I contact you", "email address for support",
            "where is your store", "do you have a shop", "address", "customer service hours",
            "can I call you", "when does support open", "are you open today",
            "contact details", "how do I reach you",
        ],
        "responses": ["Our team answers Monday to Friday, 9:00-18:00, at "
                      "support@benchbarrier.example or +1 555 0100; this chat is open "
                      "around the clock."],
    },
    {
        "name": "thanks",
        "description": "Thanks: the customer got what they needed.",
        "trainingPhrases": [
            "thanks", "thank you", "thanks a lot", "cheers", "great thanks", "perfect",
            "that helped", "awesome thank you", "much appreciated", "thank you so much",
            "thanks for your help", "brilliant thanks", "that's great thank you",
            "super helpful", "many thanks",
        ],
        "responses": ["You're welcome! Anything else I can help with?"],
        "actions": [{"type": "resolve"}],
    },
    {
        "name": "goodbye",
        "description": "The customer leaves.",
        "trainingPhrases": [
            "bye", "goodbye", "see you", "have a nice day", "that's all", "ok bye",
            "see you later", "bye bye", "that is all for now", "nothing else", "I'm done",
            "talk later", "good night", "farewell", "no that's everything",
        ],
        "responses": ["Goodbye, and have a lovely day!"],
        "actions": [{"type": "resolve"}],
    },
]  # fmt: skip

# Shipped phrase lists a later version changed: an intent still holding one exactly (not
# edited by the shop) gets the new list at the next migrate.
SUPERSEDED = {
    "thanks": [
        "thanks", "thank you", "thanks a lot", "cheers", "great thanks", "perfect",
        "that helped", "awesome thank you", "bye", "goodbye", "see you", "have a nice day",
        "that's all", "ok thanks bye", "much appreciated",
    ],
}  # fmt: skip


def install_intents() -> list[str]:
    """Create the shipped intents that are missing; returns their names."""
    made = []
    for shipped in SEED_INTENTS + SHOP_INTENTS:
        _, created = BotIntent.objects.get_or_create(
            name=shipped["name"],
            defaults={"description": shipped.get("description", ""),
                      "training_phrases": shipped["trainingPhrases"],
                      "responses": shipped.get("responses", []),
                      "actions": shipped.get("actions", [])},
        )  # fmt: skip
        if created:
            made.append(shipped["name"])
    for name, phrases in SUPERSEDED.items():
        shipped = next(i for i in SHOP_INTENTS if i["name"] == name)
        kept = BotIntent.objects.filter(name=name).first()
        if kept is not None and kept.training_phrases == phrases:
            kept.training_phrases = shipped["trainingPhrases"]
            kept.description = shipped["description"]
            kept.save(update_fields=["training_phrases", "description"])
    return made
