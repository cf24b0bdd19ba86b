"""What the support bot can do with the product catalogue (`show_product_catalog`,
`provide_product_details`): a product named in the message is described, otherwise a few
are listed and the customer's next message is read as their choice."""

from __future__ import annotations

from benchbarrier.bot_actions import Action, Reply, Turn, register_action
from marketing.services import products

NOT_FOUND = ("I couldn't find that in our catalogue. Could you give me the product's "
             "name as it appears on the site?")  # fmt: skip
DETAILS = "provide_product_details"


def _catalogue(turn: Turn) -> Reply | None:
    if products.find(turn.text) is not None:
        return None  # named already: provide_product_details describes it
    listed = products.overview()
    return Reply(listed, awaiting=DETAILS) if listed else None


def _details(turn: Turn) -> Reply | None:
    product = products.find(turn.text)
    if product is None:
        return None
    return Reply(products.describe(product), details={"product": product.sku})


def _chosen(turn: Turn) -> Reply:
    return _details(turn) or Reply(NOT_FOUND)


register_action(Action(
    "show_product_catalog", "List a few products to choose from (unless one is named).",
    run=_catalogue,
))  # fmt: skip
register_action(Action(
    DETAILS, "Describe the product the message names (price, stock, link).",
    run=_details, resume=_chosen, expects=lambda turn: products.find(turn.text) is not None,
))  # fmt: skip
