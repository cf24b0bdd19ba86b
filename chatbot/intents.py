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
        "name": "thanks",
        "description": "Thanks and goodbyes.",
        "trainingPhrases": [
            "thanks", "thank you", "thanks a lot", "cheers", "great thanks", "perfect",
            "that helped", "awesome thank you", "bye", "goodbye", "see you", "have a nice day",
            "that's all", "ok thanks bye", "much appreciated",
        ],
        "responses": ["You're welcome! Anything else I can help with?"],
        "actions": [{"type": "resolve"}],
    },
]  # fmt: skip


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
    return made
