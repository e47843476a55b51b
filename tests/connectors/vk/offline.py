"""A VK connector on the kit's FakeContext, for tests of wire behaviour only (no hub)."""

from __future__ import annotations

from typing import Any

from connectors.testing import FakeContext
from connectors.vk import VkConnector, VkOptions

from .fake_vk import GROUP_ID, FakeVk
from .support import CONFIRMATION, SECRET, TOKEN


def make_connector(
    vk: FakeVk | None, mode: str = "callback", **options: Any
) -> tuple[VkConnector, FakeContext]:
    ctx = FakeContext("vk", "main")
    values: dict[str, Any] = {
        "group_id": GROUP_ID,
        "access_token": TOKEN,
        "mode": mode,
        "wait": 1,
        "callback_secret": SECRET,
        "confirmation_code": CONFIRMATION,
    }
    if vk is not None:
        values["api_base"] = vk.api_base
    else:
        values["fetch_sender_names"] = False
    values |= options
    return VkConnector(ctx, VkOptions.model_validate(values)), ctx
